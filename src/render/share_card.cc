#include "render/share_card.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <cmark.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string_view>

#include "core/utf8.h"
#include "render/pango_context.h"
#include "render/qr.h"
#include "render/text.h"

namespace undersigned::render {
namespace {

using ContextPtr = PangoContextPtr;
using CmarkPtr = std::unique_ptr<cmark_node, CallDeleter<cmark_node, cmark_node_free>>;

struct Rgb {
  double r, g, b;
};
// The site's colours (static/style.css): text, muted text, accent, the progress bar's fill.
constexpr Rgb kText{0x1b / 255.0, 0x1b / 255.0, 0x1b / 255.0};
constexpr Rgb kMuted{0x4a / 255.0, 0x4a / 255.0, 0x4a / 255.0};
constexpr Rgb kAccent{0x0b / 255.0, 0x57 / 255.0, 0xa4 / 255.0};
constexpr Rgb kBar{0x1a / 255.0, 0x7f / 255.0, 0x37 / 255.0};
constexpr Rgb kTrack{0xe3 / 255.0, 0xe5 / 255.0, 0xe8 / 255.0};

void SetColor(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

// A block of plain text (markup = false) or of our own markup (numbers and fixed words only:
// markup = true never carries user text), width wide, at most max_height high (0: no limit),
// ending with an ellipsis if cut. Its paragraphs take their direction from their first strong
// character, so an Arabic title is right-aligned and reads right to left.
LayoutPtr Text(PangoContext* ctx, std::string_view text, const std::string& font, double width,
               double max_height = 0, bool markup = false,
               PangoAlignment align = PANGO_ALIGN_LEFT) {
  LayoutPtr layout(pango_layout_new(ctx));
  FontPtr desc(pango_font_description_from_string(font.c_str()));
  pango_layout_set_font_description(layout.get(), desc.get());
  pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_auto_dir(layout.get(), TRUE);
  pango_layout_set_alignment(layout.get(), align);
  if (max_height > 0) {
    pango_layout_set_height(layout.get(), static_cast<int>(max_height * PANGO_SCALE));
    pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  }
  if (markup) {
    pango_layout_set_markup(layout.get(), text.data(), static_cast<int>(text.size()));
  } else {
    pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  }
  return layout;
}

double HeightOf(PangoLayout* layout) {
  int w, h;
  pango_layout_get_size(layout, &w, &h);
  return h / double(PANGO_SCALE);
}

void Draw(cairo_t* cr, PangoLayout* layout, double x, double y, Rgb color) {
  SetColor(cr, color);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
}

// The title at the largest of the sizes that shows it whole within max_height, else at the
// smallest, cut with an ellipsis.
LayoutPtr TitleLayout(PangoContext* ctx, const std::string& title, const char* family,
                      std::initializer_list<int> sizes, double width, double max_height) {
  LayoutPtr layout;
  for (int size : sizes) {
    layout = Text(ctx, title, std::string(family) + " " + std::to_string(size), width, max_height);
    if (!pango_layout_is_ellipsized(layout.get())) break;
  }
  return layout;
}

std::string JoinTargets(const std::vector<std::string>& targets) {
  std::string out;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (i > 0) out += i + 1 == targets.size() ? " and " : ", ";
    // Each name isolated (U+2068 ... U+2069): an Arabic name keeps its place in the list.
    out += "\u2068" + targets[i] + "\u2069";
  }
  return out;
}

// "<b>1,200+</b> signatures · goal 5,000": markup of numbers and fixed words only.
std::string CountMarkup(std::int64_t confirmed, std::int64_t goal, bool closed) {
  const ShownCount shown = ShowCount(confirmed);
  std::string out = "<b>" + shown.text + "</b> " + (confirmed == 1 ? "signature" : "signatures");
  if (goal > 0) out += "  ·  goal " + FormatThousands(goal);
  if (closed) out += "  ·  closed";
  return out;
}

void ProgressBar(cairo_t* cr, double x, double y, double width, double height,
                 std::int64_t confirmed, std::int64_t goal) {
  const double r = height / 2;
  auto rounded = [&](double w) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, G_PI / 2);
    cairo_arc(cr, x + r, y + r, r, G_PI / 2, 3 * G_PI / 2);
    cairo_close_path(cr);
  };
  SetColor(cr, kTrack);
  rounded(width);
  cairo_fill(cr);
  const double fraction = std::clamp(
      static_cast<double>(ShowCount(confirmed).value) / static_cast<double>(goal), 0.0, 1.0);
  if (fraction <= 0) return;
  SetColor(cr, kBar);
  rounded(std::max(2 * r, width * fraction));
  cairo_fill(cr);
}

Result<void> CheckText(const char* field, const std::string& value, bool required,
                       const char* what) {
  if (required && value.empty()) {
    return Fail(Code::kInvalidArgument, std::string(field) + " is required for the " + what);
  }
  if (!IsValidUtf8(value)) {
    return Fail(Code::kInvalidArgument, std::string(field) + " is not valid UTF-8");
  }
  return {};
}

Result<void> CheckTargets(const std::vector<std::string>& targets) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!IsValidUtf8(targets[i])) {
      return Fail(Code::kInvalidArgument, "targets[" + std::to_string(i) + "] is not valid UTF-8");
    }
  }
  return {};
}

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

Result<void> CairoOk(cairo_status_t status) {
  if (status == CAIRO_STATUS_SUCCESS) return {};
  return Fail(Code::kInternal, std::string("cairo: ") + cairo_status_to_string(status));
}

// --- the letter's opening as plain text

void AppendInlineText(std::string& out, cmark_node* parent) {
  for (cmark_node* n = cmark_node_first_child(parent); n; n = cmark_node_next(n)) {
    switch (cmark_node_get_type(n)) {
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE:
        if (const char* lit = cmark_node_get_literal(n)) out += lit;
        break;
      case CMARK_NODE_SOFTBREAK:
      case CMARK_NODE_LINEBREAK:
        out += ' ';
        break;
      case CMARK_NODE_EMPH:
      case CMARK_NODE_STRONG:
      case CMARK_NODE_LINK:
      case CMARK_NODE_IMAGE:
        AppendInlineText(out, n);
        break;
      default:  // raw HTML: dropped
        break;
    }
  }
}

void CollectParagraphs(cmark_node* parent, std::vector<std::string>& out) {
  for (cmark_node* n = cmark_node_first_child(parent); n; n = cmark_node_next(n)) {
    switch (cmark_node_get_type(n)) {
      case CMARK_NODE_PARAGRAPH:
      case CMARK_NODE_HEADING: {
        std::string text;
        AppendInlineText(text, n);
        if (!text.empty()) out.push_back(std::move(text));
        break;
      }
      case CMARK_NODE_CODE_BLOCK:
        if (const char* lit = cmark_node_get_literal(n)) out.emplace_back(lit);
        break;
      case CMARK_NODE_LIST:
      case CMARK_NODE_ITEM:
      case CMARK_NODE_BLOCK_QUOTE:
        CollectParagraphs(n, out);
        break;
      default:  // raw HTML blocks, thematic breaks
        break;
    }
  }
}

// Cuts s to at most max bytes at a space (else at a character boundary) and adds "…".
std::string CutAtWord(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = s.rfind(' ', max);
  if (cut == std::string::npos || cut < max / 2) {
    cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out = s.substr(0, cut);
  while (!out.empty() && (out.back() == ' ' || out.back() == ',')) out.pop_back();
  return out + "…";
}

}  // namespace

ShownCount ShowCount(std::int64_t confirmed) {
  if (confirmed < 0) confirmed = 0;
  if (confirmed < 1000) return {confirmed, FormatThousands(confirmed)};
  std::int64_t step = 10;
  while (confirmed / step >= 100) step *= 10;
  const std::int64_t value = confirmed / step * step;
  return {value, FormatThousands(value) + "+"};
}

const char* PrintFormatName(PrintFormat f) {
  switch (f) {
    case PrintFormat::kA4:
      return "a4";
    case PrintFormat::kLetter:
      return "letter";
    case PrintFormat::kA3Poster:
      return "a3";
  }
  return "a4";
}

std::string LetterOpening(const std::string& markdown, std::size_t max_chars) {
  const int options = CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_SMART;
  CmarkPtr doc(cmark_parse_document(markdown.data(), markdown.size(), options));
  if (!doc) return {};
  std::vector<std::string> paragraphs;
  CollectParagraphs(doc.get(), paragraphs);
  std::string out;
  for (const std::string& p : paragraphs) {
    if (!out.empty()) out += "\n\n";
    out += p;
    if (out.size() >= max_chars) break;
  }
  return CutAtWord(out, max_chars);
}

Result<std::string> RenderShareCard(const ShareCardInput& in) {
  constexpr const char* kWhat = "share card";
  if (auto ok = CheckText("title", in.title, true, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckText("site name", in.site_name, true, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckText("language", in.language, false, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckTargets(in.targets); !ok) return Fail(ok.error());

  constexpr double kW = kShareCardWidth, kH = kShareCardHeight;
  constexpr double kMargin = 72, kBand = 14;
  constexpr double kTextWidth = kW - 2 * kMargin;
  SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, kShareCardWidth, kShareCardHeight));
  if (auto ok = CairoOk(cairo_surface_status(surface.get())); !ok) return Fail(ok.error());
  CairoPtr cr(cairo_create(surface.get()));
  ContextPtr ctx = MakePangoContext(in.language);

  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  SetColor(cr.get(), kAccent);
  cairo_rectangle(cr.get(), 0, 0, kW, kBand);
  cairo_fill(cr.get());

  // From the bottom up: the site's name, the bar, the count; the title and targets above.
  LayoutPtr site = Text(ctx.get(), in.site_name, "Sans Bold 28", kTextWidth, 40);
  const double site_y = kH - 56 - HeightOf(site.get());
  Draw(cr.get(), site.get(), kMargin, site_y, kAccent);

  double count_bottom = site_y - 28;
  if (in.goal > 0) {
    constexpr double kBarHeight = 28;
    count_bottom -= kBarHeight;
    ProgressBar(cr.get(), kMargin, count_bottom, kTextWidth, kBarHeight, in.confirmed, in.goal);
    count_bottom -= 18;
  }
  LayoutPtr count = Text(ctx.get(), CountMarkup(in.confirmed, in.goal, in.closed), "Sans 40",
                         kTextWidth, 60, /*markup=*/true);
  pango_layout_set_auto_dir(count.get(), FALSE);
  const double count_y = count_bottom - HeightOf(count.get());
  Draw(cr.get(), count.get(), kMargin, count_y, kText);

  double y = kBand + 50;
  const double room = count_y - 28 - y;  // for the title and the targets
  LayoutPtr to;
  double to_height = 0;
  if (!in.targets.empty()) {
    to = Text(ctx.get(), "To " + JoinTargets(in.targets), "Sans 30", kTextWidth, 82);
    to_height = HeightOf(to.get()) + 18;
  }
  LayoutPtr title = TitleLayout(ctx.get(), in.title, "Serif Bold", {64, 56, 48, 42}, kTextWidth,
                                room - to_height);
  Draw(cr.get(), title.get(), kMargin, y, kText);
  y += HeightOf(title.get()) + 18;
  if (to) Draw(cr.get(), to.get(), kMargin, y, kMuted);

  if (auto ok = CairoOk(cairo_status(cr.get())); !ok) return Fail(ok.error());
  cr.reset();
  cairo_surface_flush(surface.get());
  std::string png;
  if (auto ok = CairoOk(cairo_surface_write_to_png_stream(surface.get(), AppendToString, &png));
      !ok) {
    return Fail(ok.error());
  }
  return png;
}

Result<std::string> RenderFlyerPdf(const FlyerInput& in, PrintFormat format) {
  constexpr const char* kWhat = "flyer";
  if (auto ok = CheckText("title", in.title, true, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckText("demand", in.demand, false, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckText("letter", in.letter_markdown, false, kWhat); !ok) {
    return Fail(ok.error());
  }
  if (auto ok = CheckText("site name", in.site_name, true, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckText("sign URL", in.sign_url, true, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckText("language", in.language, false, kWhat); !ok) return Fail(ok.error());
  if (auto ok = CheckTargets(in.targets); !ok) return Fail(ok.error());
  if (!in.sign_url.starts_with("https://") && !in.sign_url.starts_with("http://")) {
    return Fail(Code::kInvalidArgument, "the sign URL must start with https:// or http://");
  }
  auto qr = EncodeQr(in.sign_url);
  if (!qr) return Fail(qr.error());

  // Page sizes in PostScript points; everything is drawn at A4's measures times s.
  double w = 595.276, h = 841.89;
  if (format == PrintFormat::kLetter) {
    w = 612;
    h = 792;
  } else if (format == PrintFormat::kA3Poster) {
    w = 841.89;
    h = 1190.55;
  }
  const double s = w / 595.276;
  const double margin = 48 * s;
  const double text_width = w - 2 * margin;
  auto pt = [s](double size) { return std::to_string(static_cast<int>(size * s * 10) / 10.0); };

  std::string pdf;
  SurfacePtr surface(cairo_pdf_surface_create_for_stream(AppendToString, &pdf, w, h));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, in.title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "undersigned");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_SUBJECT, in.demand.c_str());
  if (in.made != 0) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                   FormatIso8601(in.made).c_str());
  }
  {
    CairoPtr cr(cairo_create(surface.get()));
    ContextPtr ctx = MakePangoContext(in.language);
    cairo_t* c = cr.get();

    SetColor(c, kAccent);
    cairo_rectangle(c, 0, 0, w, 10 * s);
    cairo_fill(c);

    // The bottom: the QR code on the left, what it is for on its right.
    const double module = std::max(1.0, std::floor(170 * s / (qr->size + 8) * 4) / 4);
    const double side = module * (qr->size + 8);  // with the quiet zone of 4 modules
    const double qr_x = margin - 4 * module;
    const double qr_y = h - margin - side + 4 * module;
    cairo_set_source_rgb(c, 1, 1, 1);
    cairo_rectangle(c, qr_x, qr_y, side, side);
    cairo_fill(c);
    cairo_set_source_rgb(c, 0, 0, 0);
    // One path of runs of dark modules, filled once: no seams between neighbours.
    for (int y = 0; y < qr->size; ++y) {
      for (int x = 0; x < qr->size;) {
        if (!qr->at(x, y)) {
          ++x;
          continue;
        }
        int run = 1;
        while (x + run < qr->size && qr->at(x + run, y)) ++run;
        cairo_rectangle(c, qr_x + (4 + x) * module, qr_y + (4 + y) * module, run * module, module);
        x += run;
      }
    }
    cairo_fill(c);
    const double beside_x = qr_x + side + 12 * s;
    const double beside_w = w - margin - beside_x;
    LayoutPtr scan =
        Text(ctx.get(), in.closed ? "Scan to read the letter" : "Scan to read the letter and sign",
             "Sans Bold " + pt(17), beside_w);
    pango_layout_set_auto_dir(scan.get(), FALSE);
    LayoutPtr url = Text(ctx.get(), in.sign_url, "Monospace " + pt(10), beside_w);
    pango_layout_set_auto_dir(url.get(), FALSE);
    pango_layout_set_wrap(url.get(), PANGO_WRAP_CHAR);
    LayoutPtr site = Text(ctx.get(), in.site_name, "Sans Bold " + pt(12), beside_w, 40 * s);
    const double beside_h =
        HeightOf(scan.get()) + 8 * s + HeightOf(url.get()) + 14 * s + HeightOf(site.get());
    double by = qr_y + 4 * module + (qr->size * module - beside_h) / 2;
    Draw(c, scan.get(), beside_x, by, kText);
    by += HeightOf(scan.get()) + 8 * s;
    Draw(c, url.get(), beside_x, by, kAccent);
    by += HeightOf(url.get()) + 14 * s;
    Draw(c, site.get(), beside_x, by, kMuted);

    // Above it: the count at print time and the bar.
    double bottom = qr_y - 24 * s;
    if (in.goal > 0) {
      const double bar = 14 * s;
      bottom -= bar;
      ProgressBar(c, margin, bottom, text_width, bar, in.confirmed, in.goal);
      bottom -= 8 * s;
    }
    std::string count = CountMarkup(in.confirmed, in.goal, in.closed);
    if (in.made != 0) {
      count += "\n<span size=\"small\">Count on " + FormatDate(in.made) +
               ". Every signature is confirmed by email.</span>";
    }
    LayoutPtr count_layout =
        Text(ctx.get(), count, "Sans " + pt(18), text_width, 0, /*markup=*/true);
    pango_layout_set_auto_dir(count_layout.get(), FALSE);
    bottom -= HeightOf(count_layout.get());
    Draw(c, count_layout.get(), margin, bottom, kText);
    const double content_bottom = bottom - 22 * s;

    // From the top: the title, the demand, the targets, and the letter's opening in the room
    // left.
    double y = 10 * s + 34 * s;
    LayoutPtr title =
        TitleLayout(ctx.get(), in.title, "Serif Bold",
                    {static_cast<int>(36 * s), static_cast<int>(30 * s), static_cast<int>(26 * s)},
                    text_width, (content_bottom - y) * 0.4);
    Draw(c, title.get(), margin, y, kText);
    y += HeightOf(title.get()) + 12 * s;
    if (!in.demand.empty()) {
      LayoutPtr demand = Text(ctx.get(), in.demand, "Serif Italic " + pt(16), text_width,
                              (content_bottom - y) * 0.35);
      Draw(c, demand.get(), margin, y, kText);
      y += HeightOf(demand.get()) + 12 * s;
    }
    if (!in.targets.empty()) {
      LayoutPtr to = Text(ctx.get(), "To " + JoinTargets(in.targets), "Sans " + pt(13), text_width,
                          (content_bottom - y) * 0.3);
      Draw(c, to.get(), margin, y, kMuted);
      y += HeightOf(to.get()) + 18 * s;
    }
    const std::string opening = LetterOpening(in.letter_markdown, 1200);
    if (!opening.empty() && content_bottom - y > 40 * s) {
      cairo_set_source_rgb(c, 0.75, 0.75, 0.75);
      cairo_set_line_width(c, 0.75 * s);
      cairo_move_to(c, margin, y);
      cairo_line_to(c, margin + text_width, y);
      cairo_stroke(c);
      y += 14 * s;
      LayoutPtr letter =
          Text(ctx.get(), opening, "Serif " + pt(12.5), text_width, content_bottom - y);
      pango_layout_set_spacing(letter.get(), static_cast<int>(2 * s * PANGO_SCALE));
      Draw(c, letter.get(), margin, y, kText);
    }
    if (auto ok = CairoOk(cairo_status(c)); !ok) return Fail(ok.error());
  }
  cairo_surface_finish(surface.get());
  if (auto ok = CairoOk(cairo_surface_status(surface.get())); !ok) return Fail(ok.error());
  return pdf;
}

}  // namespace undersigned::render
