// The letter as it stands, as a PDF to attach to the mail that delivers it to its targets
// (issue 13, part 8): title, demand, the letter (Markdown), the targets, who organizes it, the
// counts (by group), the public names, the co-signing organizations, and the signature-log
// checkpoint that proves the count. Drawn with cairo's PDF surface and laid out by pango
// (pangocairo), so any script a name is written in (accents, CJK, Arabic and other right-to-left
// text, emoji) is shaped and placed by pango; a glyph no installed font has is drawn as pango's
// hex box, never a crash. Long lists of names flow over as many A4 pages as they need, in two
// columns, every page numbered "page N of M" with the checkpoint's size in its footer.
//
// Input is plain data (LetterPdfInput) so this module needs nothing from the store or services:
// the caller (service/delivery) fills it in. Output is the PDF's bytes, made in memory.
//
// Thread-safe: each call owns its surface and layouts and uses the calling thread's default
// pango font map (pangocairo keeps one per thread). Fonts come from fontconfig: the serif and
// monospace families installed (Debian's fonts-dejavu-core has Latin, Greek, Cyrillic, Arabic
// and Hebrew; CJK names need a CJK font such as fonts-noto-cjk, else they show as boxes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned::render {

struct LetterPdfTarget {
  std::string name;          // required
  std::string title;         // "CEO"; may be empty
  std::string organization;  // "Acme"; may be empty
};

// A signer group's line in the counts. count is the number shown; nullopt when the group is
// below the campaign's anonymity floor, then the line says "fewer than {fewer_than}".
struct LetterPdfGroup {
  std::string name;
  std::optional<std::int64_t> count;
  std::int64_t fewer_than = 0;
  std::string detail;  // optional, e.g. "12 named below, 3 anonymous"
};

struct LetterPdfSigner {
  std::string name;   // the public name, required
  std::string place;  // "10115, Germany"; may be empty
  std::string group;  // the group's name; may be empty
  bool verified = false;
  std::string comment;  // may be empty
  UnixTime day = 0;     // confirmation day; 0 = not shown
};

struct LetterPdfOrganization {
  std::string name;  // required
  std::string website;
  std::string statement;
};

// The signed checkpoint of the signature log that held this letter's count.
struct LetterPdfCheckpoint {
  std::string origin;  // the log's origin line, e.g. "sign.example.org/log"
  std::uint64_t tree_size = 0;
  std::string root_hash_hex;   // 64 hex digits
  UnixTime signed_at = 0;      // when the checkpoint was signed
  std::string log_url;         // where anyone fetches the log, e.g. "https://sign.example.org"
  std::int64_t confirmed = 0;  // this campaign's count at the checkpoint
  std::string note;            // the signed note as published; may be empty
  std::string audit_command;   // e.g. "undersigned log audit https://..."; may be empty
};

struct LetterPdfInput {
  std::string title;            // required
  std::string demand;           // may be empty
  std::string letter_markdown;  // CommonMark; raw HTML in it is dropped
  std::vector<LetterPdfTarget> targets;
  std::string organizer;  // "Organized by Example Corp Workers United"; may be empty
  std::int64_t confirmed = 0;
  std::int64_t unnamed = 0;  // of confirmed, those who chose not to be named
  std::vector<LetterPdfGroup> groups;
  std::vector<LetterPdfSigner> signers;  // the public names, in the order to print
  std::vector<LetterPdfOrganization> organizations;
  std::optional<LetterPdfCheckpoint> checkpoint;
  std::string campaign_url;  // printed on the last page; may be empty
  std::string language;      // BCP 47, e.g. "de"; helps pango pick glyph variants; may be empty
  UnixTime made = 0;         // the PDF's creation date and "made on"
};

// The PDF's bytes ("%PDF-1.5..."), with its title, author (the organizer line), creator
// ("undersigned") and creation date (made) in its metadata.
// Errors: kInvalidArgument when a required field is empty or any text is not valid UTF-8 (the
// message names the field); kInternal when cairo fails (out of memory).
Result<std::string> RenderLetterPdf(const LetterPdfInput& input);

}  // namespace undersigned::render
