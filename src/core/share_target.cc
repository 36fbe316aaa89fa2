#include "core/share_target.h"

#include "core/utf8.h"

namespace undersigned {
namespace {

std::string Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// The placeholders a post may use.
bool KnownPlaceholder(std::string_view name) {
  return name == "handle" || name == "count" || name == "url";
}

// The first "{word}" in post that is not a known placeholder, or "".
std::string UnknownPlaceholder(std::string_view post) {
  for (std::size_t open = post.find('{'); open != std::string_view::npos;
       open = post.find('{', open + 1)) {
    const std::size_t close = post.find('}', open);
    if (close == std::string_view::npos) break;
    const std::string_view name = post.substr(open + 1, close - open - 1);
    if (name.find_first_of(" {") != std::string_view::npos) continue;  // prose, not a placeholder
    if (!KnownPlaceholder(name)) return "{" + std::string(name) + "}";
  }
  return "";
}

}  // namespace

void CheckSecondaryTargets(const std::vector<SecondaryTarget>& targets,
                           std::map<std::string, std::string>& errors) {
  const char* key = "secondary_targets";
  auto fail = [&](std::string message) {
    if (!errors.count(key)) errors[key] = std::move(message);
  };
  if (targets.size() > kMaxSecondaryTargets) {
    fail("at most " + std::to_string(kMaxSecondaryTargets) + " people");
  }
  for (const SecondaryTarget& t : targets) {
    const std::string who = t.name.empty() ? std::string("a person") : t.name;
    if (Trimmed(t.name).empty()) fail("every person needs a name (name=...)");
    if (t.name.size() > 200 || t.about.size() > 300) {
      fail(who + ": a name is at most 200 bytes, about at most 300");
    }
    if (!IsValidUtf8(t.name) || !IsValidUtf8(t.about)) fail(who + ": text must be UTF-8");
    for (const auto* h : {&t.x_handle, &t.bluesky_handle, &t.mastodon_handle}) {
      if (h->size() > 120 || h->find_first_of(" <>\"'&;") != std::string::npos) {
        fail(who + ": social handles cannot contain spaces or markup");
      }
    }
    if (t.posts.empty()) fail(who + " needs at least one post (a line starting with \"> \")");
    if (t.posts.size() > kMaxPostsPerTarget) {
      fail(who + ": at most " + std::to_string(kMaxPostsPerTarget) + " posts");
    }
    for (const std::string& p : t.posts) {
      if (Trimmed(p).empty()) fail(who + ": a post cannot be empty");
      if (p.size() > kMaxPostBytes) {
        fail(who + ": a post is at most " + std::to_string(kMaxPostBytes) + " bytes");
      }
      if (!IsValidUtf8(p)) fail(who + ": text must be UTF-8");
      if (auto unknown = UnknownPlaceholder(p); !unknown.empty()) {
        fail(who + ": " + unknown + " is not a placeholder; use {handle}, {count} or {url}");
      }
    }
  }
}

Result<std::vector<SecondaryTarget>> ParseSecondaryTargets(std::string_view text) {
  std::vector<SecondaryTarget> out;
  bool in_block = false;
  int line_no = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = Trimmed(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    const std::string at = "line " + std::to_string(line_no) + ": ";
    if (line.empty()) {
      in_block = false;
      if (end == text.size()) break;
      continue;
    }
    if (line.starts_with(">")) {
      if (!in_block) {
        return Fail(Code::kInvalidArgument,
                    at + "a post (\"> ...\") must follow its person's line (name=...)");
      }
      out.back().posts.push_back(Trimmed(std::string_view(line).substr(1)));
    } else {
      SecondaryTarget t;
      std::size_t field_start = 0;
      while (field_start <= line.size()) {
        std::size_t semi = line.find(';', field_start);
        if (semi == std::string::npos) semi = line.size();
        const std::string field =
            Trimmed(std::string_view(line).substr(field_start, semi - field_start));
        field_start = semi + 1;
        if (field.empty()) continue;
        const std::size_t eq = field.find('=');
        if (eq == std::string::npos) {
          return Fail(Code::kInvalidArgument,
                      at + "\"" + field +
                          "\" is not a field: write name=..., about=..., x=..., bluesky=..., "
                          "mastodon=... separated by ';', or a post starting with \"> \"");
        }
        const std::string k = Trimmed(std::string_view(field).substr(0, eq));
        const std::string v = Trimmed(std::string_view(field).substr(eq + 1));
        if (k == "name") {
          t.name = v;
        } else if (k == "about") {
          t.about = v;
        } else if (k == "x") {
          t.x_handle = v.starts_with("@") ? v.substr(1) : v;
        } else if (k == "bluesky") {
          t.bluesky_handle = v.starts_with("@") ? v.substr(1) : v;
        } else if (k == "mastodon") {
          t.mastodon_handle = v;
        } else {
          return Fail(Code::kInvalidArgument,
                      at + "unknown field \"" + k + "\": use name, about, x, bluesky or mastodon");
        }
      }
      if (t.name.empty()) {
        return Fail(Code::kInvalidArgument, at + "a person's line needs name=...");
      }
      if (in_block) {
        return Fail(Code::kInvalidArgument,
                    at + "leave a blank line before the next person (" + t.name + ")");
      }
      out.push_back(std::move(t));
      in_block = true;
    }
    if (end == text.size()) break;
  }
  return out;
}

std::string FormatSecondaryTargets(const std::vector<SecondaryTarget>& targets) {
  std::string out;
  for (const SecondaryTarget& t : targets) {
    if (!out.empty()) out += "\n";
    out += "name=" + t.name;
    if (!t.about.empty()) out += "; about=" + t.about;
    if (!t.x_handle.empty()) out += "; x=" + t.x_handle;
    if (!t.bluesky_handle.empty()) out += "; bluesky=" + t.bluesky_handle;
    if (!t.mastodon_handle.empty()) out += "; mastodon=" + t.mastodon_handle;
    out += "\n";
    for (const std::string& p : t.posts) out += "> " + p + "\n";
  }
  return out;
}

std::string FillPost(std::string_view post, std::string_view handle, std::string_view count,
                     std::string_view url) {
  // One pass, so that nothing filled in is read as a placeholder again.
  std::string out;
  bool has_url = false;
  std::size_t i = 0;
  while (i < post.size()) {
    if (post[i] == '{') {
      const std::size_t close = post.find('}', i);
      const std::string_view name =
          close == std::string_view::npos ? std::string_view() : post.substr(i + 1, close - i - 1);
      if (name == "handle" || name == "count" || name == "url") {
        out += name == "handle" ? handle : name == "count" ? count : url;
        has_url = has_url || name == "url";
        i = close + 1;
        continue;
      }
    }
    out += post[i++];
  }
  if (!has_url) {
    out += ' ';
    out += url;
  }
  return out;
}

}  // namespace undersigned
