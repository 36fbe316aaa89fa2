#include "cli/campaign_args.h"

#include <fstream>
#include <sstream>

#include "core/time_zone.h"
#include "render/logo.h"

namespace undersigned::cli {
namespace {

std::vector<std::string> SplitBars(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == '|') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string StripAt(std::string s) {
  if (!s.empty() && s[0] == '@') s.erase(0, 1);
  return s;
}

}  // namespace

void AddCampaignOptions(CLI::App* sub, CampaignArgs& a, bool creating) {
  auto* slug =
      sub->add_option("--slug", a.slug, "short name in the URL /c/<slug>: a-z, 0-9 and hyphens");
  auto* title = sub->add_option("--title", a.title, "title of the letter or petition");
  auto* target = sub->add_option(
      "--target", a.targets,
      "decision maker, \"Name|Title|Organization|x_handle|bluesky_handle|mastodon_handle|email\" "
      "(only Name is required; the email address receives the letter when it is delivered; "
      "repeat for several; on edit, replaces all targets)");
  auto* goal = sub->add_option("--goal", a.goal, "signature goal");
  if (creating) {
    slug->required();
    title->required();
    target->required();
    goal->required();
  }
  sub->add_option("--demand", a.demand, "the short demand shown under the title");
  sub->add_option("--organized-by", a.organized_by,
                  "who runs the campaign, shown as \"Organized by ...\" on its page (\"\" clears "
                  "it; without it the page says the organizers have not said who they are)");
  sub->add_option("--letter", a.letter, "letter body in Markdown");
  sub->add_option("--letter-file", a.letter_file, "file holding the letter body in Markdown")
      ->check(CLI::ExistingFile);
  sub->add_option("--deadline", a.deadline,
                  "when signing closes: a date (2026-12-31) means the end of that day in the "
                  "campaign's time zone; a time (2026-12-31T18:00:00Z) is taken as given; \"\" "
                  "removes it. A deadline already passed is refused");
  sub->add_option("--time-zone", a.time_zone,
                  "IANA time zone in which a --deadline date ends, e.g. Europe/Paris (default "
                  "UTC)");
  sub->add_option("--threshold", a.threshold,
                  "the campaign goes ahead only if this many confirm by the deadline: it "
                  "succeeds the moment they do and fails at the deadline otherwise; signers and "
                  "organizers are told once (0 removes it)");
  sub->add_option("--organizer", a.organizers,
                  "an organizer's email address, told of the outcome (repeatable; replaces the "
                  "list; \"\" clears it)");
  sub->add_option(
      "--group", a.groups,
      "who may sign and how they are proven, as key=value parts separated by ';': "
      "\"kind=employees; key=staff; name=Acme staff; organization=Acme; domains=acme.com,acme.de; "
      "seal=50,500; goal=300\" (employees prove an address at a domain; seal offers the sizes "
      "a signer may keep their name sealed until), \"kind=shareholders; name=Shareholders; "
      "attestation=I hold shares in Acme.\" (customers and shareholders attest), \"kind=public; "
      "name=Everyone else\". Repeatable; replaces the list; \"\" clears it (everyone signs as "
      "the public)");
  sub->add_option("--anonymity-floor", a.anonymity_floor,
                  "a group's count is shown as \"fewer than N\" until it reaches N (default 5)");
  sub->add_option("--secondary-targets", a.secondary_targets,
                  "a text file of the people who can move the targets (speakers, board members) "
                  "and the posts supporters send them: per person a line \"name=Jane Doe; "
                  "about=Keynote speaker; x=janedoe; bluesky=jane.bsky.social; "
                  "mastodon=@jane@mastodon.social\", then one line per post starting with \"> \" "
                  "({handle}, {count} and {url} are filled in), a blank line between people; "
                  "replaces the list; \"\" clears it")
      ->check(CLI::ExistingFile | CLI::IsMember({""}));
  sub->add_option("--image", a.image,
                  "a picture shown at the top of the campaign's page: a PNG or JPEG file (up to "
                  "8 MiB; re-encoded, nothing of the file is kept but its pixels); \"\" removes "
                  "it")
      ->check(CLI::ExistingFile | CLI::IsMember({""}));
  sub->add_option("--image-alt", a.image_alt,
                  "what the picture shows, read aloud to those who cannot see it (required with "
                  "--image; alone, changes the description of the current picture)");
  sub->add_option("--language", a.language, "language of the campaign, e.g. en, fr, pt-BR");
  sub->add_option("--status", a.status, "draft, open or closed (default draft)")
      ->check(CLI::IsMember({"draft", "open", "closed"}));
}

Result<std::string> ReadImageArgs(const CampaignArgs& a, const Campaign& current) {
  if (!a.image || a.image->empty()) {
    if (a.image_alt && !(a.image && a.image->empty()) && !current.image) {
      return Fail(Code::kInvalidArgument,
                  "--image-alt describes a picture: give the picture with --image FILE");
    }
    if (a.image_alt) {
      if (auto ok = ValidateImageAlt(*a.image_alt); !ok) {
        return Fail(Code::kInvalidArgument,
                    "--image-alt " + ok.error().field_errors.at("image_alt"));
      }
    }
    return std::string();
  }
  if (!a.image_alt && !current.image) {
    return Fail(Code::kInvalidArgument,
                "--image needs --image-alt: say in a few words what the picture shows, for "
                "those who cannot see it");
  }
  std::ifstream in(*a.image, std::ios::binary);
  if (!in) return Fail(Code::kInvalidArgument, "cannot read " + *a.image);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  if (bytes.empty()) return Fail(Code::kInvalidArgument, *a.image + " is empty");
  if (auto picture = render::NormalizePicture(bytes); !picture) {
    return Fail(Code::kInvalidArgument, "--image " + *a.image + ": " + picture.error().message);
  }
  if (a.image_alt) {
    if (auto ok = ValidateImageAlt(*a.image_alt); !ok) {
      return Fail(Code::kInvalidArgument, "--image-alt " + ok.error().field_errors.at("image_alt"));
    }
  }
  return bytes;
}

Result<Campaign> ApplyImageArgs(const CampaignArgs& a, const std::string& image_bytes,
                                service::CampaignService& campaigns, const Campaign& c) {
  if (a.image && a.image->empty()) return campaigns.RemoveImage(c.id);
  if (!image_bytes.empty()) {
    return campaigns.SetImage(c.id, image_bytes, a.image_alt ? *a.image_alt : c.image->alt);
  }
  if (a.image_alt && c.image) return campaigns.SetImage(c.id, "", *a.image_alt);
  return c;
}

Result<Campaign> BuildCampaign(const CampaignArgs& a, Campaign c) {
  if (a.slug) c.slug = *a.slug;
  if (a.title) c.title = *a.title;
  if (a.demand) c.demand = *a.demand;
  if (a.organized_by) c.organized_by = *a.organized_by;
  if (a.goal) c.goal = *a.goal;
  if (a.language) c.language = *a.language;
  if (a.status) c.status = *ParseStatus(*a.status);
  if (a.letter) c.letter_markdown = *a.letter;
  if (a.letter_file) {
    std::ifstream in(*a.letter_file, std::ios::binary);
    if (!in) return Fail(Code::kInvalidArgument, "cannot read " + *a.letter_file);
    std::ostringstream ss;
    ss << in.rdbuf();
    c.letter_markdown = ss.str();
  }
  if (a.time_zone) c.time_zone = *a.time_zone;
  if (a.deadline) {
    if (a.deadline->empty()) {
      c.deadline.reset();
    } else if (!ParseIso8601(*a.deadline)) {
      return Fail(Code::kInvalidArgument,
                  "--deadline must be a date like 2026-12-31 (the end of that day in the "
                  "campaign's time zone) or a time like 2026-12-31T18:00:00Z");
    } else if (!IsKnownTimeZone(c.time_zone)) {
      return Fail(Code::kInvalidArgument, "--time-zone '" + c.time_zone +
                                              "' is not a time zone of the tz database; use a "
                                              "name such as UTC or Europe/Paris");
    } else {
      c.deadline = ParseDeadline(*a.deadline, c.time_zone);
    }
  }
  if (a.threshold) {
    if (*a.threshold == 0) {
      c.threshold.reset();
    } else {
      c.threshold = *a.threshold;
    }
  }
  if (!a.organizers.empty()) {
    c.organizers.clear();
    for (const std::string& o : a.organizers) {
      if (!o.empty()) c.organizers.push_back(o);
    }
  }
  if (!a.groups.empty()) {
    c.groups.clear();
    for (const std::string& spec : a.groups) {
      if (spec.empty()) continue;
      auto g = ParseGroupSpec(spec);
      if (!g) return Fail(g.error());
      c.groups.push_back(std::move(*g));
    }
  }
  if (a.anonymity_floor) c.anonymity_floor = *a.anonymity_floor;
  if (a.secondary_targets) {
    c.secondary_targets.clear();
    if (!a.secondary_targets->empty()) {
      std::ifstream in(*a.secondary_targets, std::ios::binary);
      if (!in) return Fail(Code::kInvalidArgument, "cannot read " + *a.secondary_targets);
      std::ostringstream ss;
      ss << in.rdbuf();
      auto people = ParseSecondaryTargets(ss.str());
      if (!people) {
        return Fail(Code::kInvalidArgument,
                    "--secondary-targets " + *a.secondary_targets + ", " + people.error().message);
      }
      c.secondary_targets = std::move(*people);
    }
  }
  if (!a.targets.empty()) {
    c.targets.clear();
    for (const std::string& spec : a.targets) {
      auto p = SplitBars(spec);
      if (p.size() > 7 || p[0].empty()) {
        return Fail(Code::kInvalidArgument,
                    "--target must be \"Name|Title|Organization|x|bluesky|mastodon|email\" with "
                    "a name");
      }
      p.resize(7);
      c.targets.push_back(Target{p[0], p[1], p[2], StripAt(p[3]), StripAt(p[4]), p[5], p[6]});
    }
  }
  return c;
}

}  // namespace undersigned::cli
