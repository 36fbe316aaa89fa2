// The share images of a campaign (issue 15, part 2, "Share images"): its Open Graph card, a
// 1200x630 PNG that social networks show beside a link to the campaign (title, the targets, the
// count and goal with a progress bar, the site's name), and its printable flyer (A4 or US
// Letter) and poster (A3), one-page PDFs with a QR code to the campaign's page, the title, the
// targets, the letter's first lines and the count at print time.
//
// Drawn with cairo (an image surface for the card, the PDF surface for print) and laid out by
// pango, so any script pango can shape (Arabic and other right-to-left titles, long German
// compounds, which break inside the word when nothing else fits) is shaped and placed; a glyph no
// installed font has is pango's hex box, never a crash. Fonts come from fontconfig (Debian's
// fonts-dejavu-core; CJK needs a CJK font such as fonts-noto-cjk, else boxes). Long titles are
// wrapped and end with an ellipsis after a set number of lines.
//
// Input is plain data: no names of signers ever reach these functions (the count alone), so a
// sealed or anonymous signer can never appear on a card or a flyer.
//
// Pure functions; thread-safe (each call owns its surface and layouts, on the calling thread's
// pango font map).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace undersigned::render {

inline constexpr int kShareCardWidth = 1200;
inline constexpr int kShareCardHeight = 630;

// The count as the share images show it: exact below 1,000, then rounded down to two
// significant digits with a "+" ("1,200+", "56,000+"), so a card stays right between renders
// and a new one is needed only when the count crosses a step (ShareImageCache).
struct ShownCount {
  std::int64_t value = 0;  // what the bar is drawn from: 1234 -> 1200
  std::string text;        // "1,200+"
};
ShownCount ShowCount(std::int64_t confirmed);

struct ShareCardInput {
  std::string title;                 // required
  std::vector<std::string> targets;  // "Dana Rivera (CEO, Acme)", in order; may be empty
  std::int64_t confirmed = 0;        // the exact count; shown through ShowCount
  std::int64_t goal = 0;             // <= 0: no goal (no bar)
  std::string site_name;             // required: "Sign Example"
  std::string language;              // BCP 47; helps pango pick glyph variants; may be empty
  bool closed = false;               // "Closed" instead of the call to sign
};

// The card's PNG bytes, kShareCardWidth x kShareCardHeight, 24-bit RGB.
// Errors: kInvalidArgument when the title or site name is empty or any text is not valid UTF-8
// (the message names the field); kInternal when cairo fails.
Result<std::string> RenderShareCard(const ShareCardInput& input);

enum class PrintFormat { kA4, kLetter, kA3Poster };

// "a4", "letter", "a3".
const char* PrintFormatName(PrintFormat f);

struct FlyerInput {
  std::string title;                 // required
  std::string demand;                // may be empty
  std::vector<std::string> targets;  // as in ShareCardInput
  std::string letter_markdown;       // its first lines are printed, as plain text
  std::int64_t confirmed = 0;        // the exact count at print time; shown through ShowCount
  std::int64_t goal = 0;
  std::string sign_url;   // required, http(s): in the QR code and printed under it
  std::string site_name;  // required
  std::string language;
  UnixTime made = 0;    // "Count on 7 December 2026"; the PDF's creation date
  bool closed = false;  // "Scan to read the letter" without "and sign"; "closed" by the count
};

// One page, portrait, of the format: the PDF's bytes ("%PDF-1.5...") with its title and
// creator in the metadata.
// Errors: kInvalidArgument for an empty title, site name or sign URL, a sign URL that is not
// http(s), text that is not valid UTF-8, or a URL too long for a QR code; kInternal when cairo
// fails.
Result<std::string> RenderFlyerPdf(const FlyerInput& input, PrintFormat format);

// The first paragraphs of a letter in Markdown as plain text (no markup, no raw HTML, no link
// targets), paragraphs separated by a blank line, at most max_chars characters (cut at a word,
// then "…"). Exposed for tests.
std::string LetterOpening(const std::string& markdown, std::size_t max_chars);

}  // namespace undersigned::render
