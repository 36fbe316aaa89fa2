// Secondary targets: people who can move the decision maker (a conference's speakers, board
// members, large customers), each with their handles and several posts the organizers wrote
// for supporters to send them (issue 15's share toolkit). The campaign page offers each person;
// their page offers one of the posts in turn, so that not everyone sends the same words
// (http/pages/ask.cc). Plain data plus pure functions; thread-safe.
//
// A post is text with placeholders filled in when it is offered: {handle} (the person's handle
// on the network it goes to, else their name), {count} (the campaign's confirmed count, as
// "12,345"), {url} (the campaign's address; added at the end when the post has none).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace undersigned {

struct SecondaryTarget {
  std::string name;                // required, "Jane Doe"
  std::string about;               // why they matter: "keynote speaker at the conference"
  std::string x_handle;            // without the @, "janedoe"
  std::string bluesky_handle;      // "jane.bsky.social"
  std::string mastodon_handle;     // "@jane@mastodon.social"
  std::vector<std::string> posts;  // at least one

  bool operator==(const SecondaryTarget&) const = default;
};

inline constexpr std::size_t kMaxSecondaryTargets = 30;
inline constexpr std::size_t kMaxPostsPerTarget = 10;
inline constexpr std::size_t kMaxPostBytes = 1000;

// Adds to errors, under "secondary_targets", what is wrong with them: too many people or posts,
// a person without a name or a post, a handle with spaces or markup, a post too long or naming a
// placeholder other than {handle}, {count} and {url}.
void CheckSecondaryTargets(const std::vector<SecondaryTarget>& targets,
                           std::map<std::string, std::string>& errors);

// The organizers' text form of the list (the console's text area, the CLI's file): one block per
// person, blocks separated by a blank line; a block is a line of fields, then one line per post
// starting with "> ":
//
//   name=Jane Doe; about=Keynote speaker; x=janedoe; bluesky=jane.bsky.social;
//   mastodon=@jane@m.social > {handle}, you speak at the conference while {count} workers ask it to
//   drop the contract. > {handle}: {count} of us signed. Will you ask them on stage?
//
// kInvalidArgument naming the line and what to fix. CheckSecondaryTargets is not applied.
Result<std::vector<SecondaryTarget>> ParseSecondaryTargets(std::string_view text);
// The inverse: ParseSecondaryTargets(FormatSecondaryTargets(t)) == t when no field holds ';'
// or a line break.
std::string FormatSecondaryTargets(const std::vector<SecondaryTarget>& targets);

// The post with its placeholders filled in; url is appended (after a space) if the post has no
// {url}. handle: "@janedoe" or the person's name.
std::string FillPost(std::string_view post, std::string_view handle, std::string_view count,
                     std::string_view url);

}  // namespace undersigned
