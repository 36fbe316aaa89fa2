#include "render/letter_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <cmark.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string_view>

#include "core/clock.h"
#include "core/utf8.h"
#include "render/pango_context.h"
#include "render/text.h"

namespace undersigned::render {
namespace {

// A4 in PostScript points, 2 cm margins, the footer inside the bottom margin.
constexpr double kPageWidth = 595.276;
constexpr double kPageHeight = 841.89;
constexpr double kMargin = 56.69;
constexpr double kTextWidth = kPageWidth - 2 * kMargin;
constexpr double kBottom = kPageHeight - kMargin;
constexpr double kFooterTop = kBottom + 14;
constexpr double kColumnGap = 18;
constexpr double kLeading = 2.5;  // extra space between lines, in points

using ContextPtr = PangoContextPtr;

// Text for pango markup: & < > ' " escaped, and C0 controls other than tab and newline (which
// GMarkup refuses) dropped.
void AppendMarkupEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') break;
        out += c;
    }
  }
}

std::string Esc(std::string_view s) {
  std::string out;
  AppendMarkupEscaped(out, s);
  return out;
}

// Only URLs a reader can follow on paper and that cannot run anything are printed.
bool PrintableUrl(std::string_view url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0 ||
         url.rfind("mailto:", 0) == 0;
}

struct Style {
  const char* font = "Serif 11";
  double space_before = 0;
  double space_after = 6;
  double indent = 0;            // from the column's left edge
  bool keep_with_next = false;  // headings: not alone at the bottom of a column
  bool keep_together = false;   // short blocks (a signer): not split over two columns
  // The paragraph's direction from its first strong character (an Arabic paragraph of the
  // letter reads right to left); off for the list of names, whose lines stay left to right
  // while each name, isolated, keeps its own direction.
  bool auto_dir = true;
  double gray = 0;  // 0 = black
  PangoAlignment align = PANGO_ALIGN_LEFT;
};

// Lays out blocks of pango markup top to bottom over columns and pages. With cr null it only
// measures (the first pass, to learn the number of pages); with cr it draws, footers included.
// Owns nothing it is given; lives for one pass.
class Flow {
 public:
  Flow(cairo_t* cr, cairo_surface_t* surface, PangoContext* ctx, const LetterPdfInput& in,
       int total_pages)
      : cr_(cr), surface_(surface), ctx_(ctx), in_(in), total_pages_(total_pages) {}

  int page() const { return page_; }

  // Columns from here on: they start below everything written on the page so far.
  void SetColumns(int n) {
    if (n == columns_) return;
    y_ = std::max(y_, row_bottom_);
    top_ = y_;
    columns_ = n;
    column_ = 0;
  }

  // An entry in the PDF's outline (bookmarks) pointing at the current position.
  void Bookmark(const std::string& title) {
    if (!cr_) return;
    char attrs[96];
    std::snprintf(attrs, sizeof attrs, "page=%d pos=[%.1f %.1f]", page_, X(), y_);
    cairo_pdf_surface_add_outline(surface_, CAIRO_PDF_OUTLINE_ROOT, title.c_str(), attrs,
                                  CAIRO_PDF_OUTLINE_FLAG_OPEN);
  }

  // One block: a paragraph, heading, list item... marker (markup, may be empty) is drawn in the
  // indent, on the first line's baseline, right-aligned (list bullets and numbers).
  void Block(const std::string& markup, const Style& style, const std::string& marker = {}) {
    LayoutPtr layout = MakeLayout(markup, style, ColumnWidth() - style.indent);
    if (y_ > top_ + 0.01) y_ += style.space_before;
    if (style.keep_with_next || style.keep_together) {
      // Room for the heading and about three lines of what follows (or for the whole block,
      // if it fits a column at all), or a new column.
      int w, h;
      pango_layout_get_size(layout.get(), &w, &h);
      const double need = h / double(PANGO_SCALE) +
                          kLeading * pango_layout_get_line_count(layout.get()) +
                          (style.keep_with_next ? 45 : 0);
      if (y_ + need > kBottom && y_ > top_ + 0.01 && need < kBottom - kMargin) NextColumn();
    }
    PangoLayoutIter* iter = pango_layout_get_iter(layout.get());
    bool first = true;
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(iter, nullptr, &logical);
      const double line_h = logical.height / double(PANGO_SCALE);
      const double baseline =
          (pango_layout_iter_get_baseline(iter) - logical.y) / double(PANGO_SCALE);
      if (y_ + line_h > kBottom && y_ > top_ + 0.01) NextColumn();
      if (cr_) {
        cairo_set_source_rgb(cr_, style.gray, style.gray, style.gray);
        const double x = X() + style.indent + logical.x / double(PANGO_SCALE);
        cairo_move_to(cr_, x, y_ + baseline);
        pango_cairo_show_layout_line(cr_, pango_layout_iter_get_line_readonly(iter));
        if (first && !marker.empty()) DrawMarker(marker, style, y_ + baseline);
      }
      first = false;
      y_ += line_h + kLeading;
      row_bottom_ = std::max(row_bottom_, y_);
    } while (pango_layout_iter_next_line(iter));
    pango_layout_iter_free(iter);
    y_ += style.space_after;
  }

  void Rule() {
    if (y_ + 12 > kBottom) NextColumn();
    y_ += 6;
    if (cr_) {
      cairo_set_source_rgb(cr_, 0.6, 0.6, 0.6);
      cairo_set_line_width(cr_, 0.5);
      cairo_move_to(cr_, X(), y_);
      cairo_line_to(cr_, X() + ColumnWidth(), y_);
      cairo_stroke(cr_);
    }
    y_ += 8;
    row_bottom_ = std::max(row_bottom_, y_);
  }

  // Ends the last page (its footer).
  void Finish() { Footer(); }

 private:
  double ColumnWidth() const { return (kTextWidth - (columns_ - 1) * kColumnGap) / columns_; }
  double X() const { return kMargin + column_ * (ColumnWidth() + kColumnGap); }

  void NextColumn() {
    row_bottom_ = std::max(row_bottom_, y_);
    if (column_ + 1 < columns_) {
      ++column_;
      y_ = top_;
      return;
    }
    Footer();
    if (cr_) cairo_show_page(cr_);
    ++page_;
    column_ = 0;
    top_ = kMargin;
    y_ = top_;
    row_bottom_ = y_;
  }

  LayoutPtr MakeLayout(const std::string& markup, const Style& style, double width) {
    LayoutPtr layout(pango_layout_new(ctx_));
    FontPtr font(pango_font_description_from_string(style.font));
    pango_layout_set_font_description(layout.get(), font.get());
    if (width > 0) pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout.get(), style.align);
    pango_layout_set_auto_dir(layout.get(), style.auto_dir);
    PangoAttrList* attrs = nullptr;
    char* text = nullptr;
    if (pango_parse_markup(markup.data(), static_cast<int>(markup.size()), 0, &attrs, &text,
                           nullptr, nullptr)) {
      pango_layout_set_text(layout.get(), text, -1);
      pango_layout_set_attributes(layout.get(), attrs);
      pango_attr_list_unref(attrs);
      g_free(text);
    } else {
      // Cannot happen with escaped input; show the markup as text rather than nothing.
      pango_layout_set_text(layout.get(), markup.data(), static_cast<int>(markup.size()));
    }
    return layout;
  }

  void DrawMarker(const std::string& marker, const Style& style, double baseline_y) {
    LayoutPtr layout = MakeLayout(marker, style, -1);  // one line, as wide as it is
    int width, height;
    pango_layout_get_size(layout.get(), &width, &height);
    cairo_move_to(cr_, X() + style.indent - 4 - width / double(PANGO_SCALE),
                  baseline_y - pango_layout_get_baseline(layout.get()) / double(PANGO_SCALE));
    pango_cairo_show_layout(cr_, layout.get());
  }

  void Footer() {
    if (!cr_) return;
    Style small;
    small.font = "Sans 7.5";
    small.gray = 0.35;
    std::string left = Esc(in_.title);
    if (in_.checkpoint) {
      left += "\nCounted in the signature log at its checkpoint of " +
              FormatThousands(static_cast<std::int64_t>(in_.checkpoint->tree_size)) +
              " entries, root " + Esc(in_.checkpoint->root_hash_hex.substr(0, 16)) + "…";
    }
    LayoutPtr l = MakeLayout(left, small, kTextWidth - 90);
    pango_layout_set_ellipsize(l.get(), PANGO_ELLIPSIZE_END);
    cairo_set_source_rgb(cr_, small.gray, small.gray, small.gray);
    cairo_move_to(cr_, kMargin, kFooterTop);
    pango_cairo_show_layout(cr_, l.get());
    small.align = PANGO_ALIGN_RIGHT;
    LayoutPtr r = MakeLayout(
        "Page " + std::to_string(page_) + " of " + std::to_string(std::max(total_pages_, page_)),
        small, 90);
    cairo_move_to(cr_, kPageWidth - kMargin - 90, kFooterTop);
    pango_cairo_show_layout(cr_, r.get());
  }

  cairo_t* cr_;
  cairo_surface_t* surface_;
  PangoContext* ctx_;
  const LetterPdfInput& in_;
  int total_pages_;
  int page_ = 1;
  int columns_ = 1;
  int column_ = 0;
  double top_ = kMargin;
  double y_ = kMargin;
  double row_bottom_ = kMargin;  // the lowest point written on this page, any column
};

// --- the letter's Markdown as blocks of pango markup

std::string InlineMarkup(cmark_node* parent) {
  std::string out;
  for (cmark_node* n = cmark_node_first_child(parent); n; n = cmark_node_next(n)) {
    const char* lit = cmark_node_get_literal(n);
    switch (cmark_node_get_type(n)) {
      case CMARK_NODE_TEXT:
        AppendMarkupEscaped(out, lit ? lit : "");
        break;
      case CMARK_NODE_SOFTBREAK:
        out += ' ';
        break;
      case CMARK_NODE_LINEBREAK:
        out += '\n';
        break;
      case CMARK_NODE_CODE:
        out += "<tt>" + Esc(lit ? lit : "") + "</tt>";
        break;
      case CMARK_NODE_EMPH:
        out += "<i>" + InlineMarkup(n) + "</i>";
        break;
      case CMARK_NODE_STRONG:
        out += "<b>" + InlineMarkup(n) + "</b>";
        break;
      case CMARK_NODE_LINK: {
        std::string text = InlineMarkup(n);
        out += text;
        const char* url = cmark_node_get_url(n);
        if (url && PrintableUrl(url) && text != Esc(url)) {
          out += " (<span foreground=\"#333333\">" + Esc(url) + "</span>)";
        }
        break;
      }
      case CMARK_NODE_IMAGE: {
        std::string alt = InlineMarkup(n);
        if (!alt.empty()) out += "[" + alt + "]";
        break;
      }
      default:  // raw HTML and anything else: dropped
        break;
    }
  }
  return out;
}

const char* HeadingFont(int level) {
  switch (level) {
    case 1:
      return "Serif Bold 15";
    case 2:
      return "Serif Bold 13";
    default:
      return "Serif Bold 11.5";
  }
}

void MarkdownBlocks(Flow& flow, cmark_node* parent, double indent, bool tight, bool quote);

// One block of the letter. quote: inside a block quote (set in gray italics).
void MarkdownBlock(Flow& flow, cmark_node* n, double indent, bool tight, bool quote,
                   const std::string& marker) {
  Style body;
  body.indent = indent;
  if (quote) {
    body.font = "Serif Italic 11";
    body.gray = 0.3;
  }
  if (tight) body.space_after = 2;
  switch (cmark_node_get_type(n)) {
    case CMARK_NODE_PARAGRAPH:
      flow.Block(InlineMarkup(n), body, marker);
      break;
    case CMARK_NODE_HEADING: {
      Style h = body;
      h.font = HeadingFont(cmark_node_get_heading_level(n));
      h.space_before = 8;
      h.space_after = 4;
      h.keep_with_next = true;
      flow.Block(InlineMarkup(n), h, marker);
      break;
    }
    case CMARK_NODE_CODE_BLOCK: {
      Style code = body;
      code.font = "Monospace 9";
      std::string lit = cmark_node_get_literal(n) ? cmark_node_get_literal(n) : "";
      while (!lit.empty() && lit.back() == '\n') lit.pop_back();
      flow.Block(Esc(lit), code, marker);
      break;
    }
    case CMARK_NODE_BLOCK_QUOTE:
      MarkdownBlocks(flow, n, indent + 18, tight, /*quote=*/true);
      break;
    case CMARK_NODE_LIST: {
      const bool ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
      const bool list_tight = cmark_node_get_list_tight(n) != 0;
      int number = cmark_node_get_list_start(n);
      const double item_indent = indent + 20;
      for (cmark_node* item = cmark_node_first_child(n); item; item = cmark_node_next(item)) {
        std::string item_marker = ordered ? std::to_string(number++) + "." : "•";
        bool first = true;
        for (cmark_node* c = cmark_node_first_child(item); c; c = cmark_node_next(c)) {
          MarkdownBlock(flow, c, item_indent, list_tight, quote,
                        first ? item_marker : std::string());
          first = false;
        }
        if (first) flow.Block("", body, item_marker);  // an empty item
      }
      break;
    }
    case CMARK_NODE_THEMATIC_BREAK:
      flow.Rule();
      break;
    default:  // raw HTML blocks and custom blocks: dropped
      break;
  }
}

void MarkdownBlocks(Flow& flow, cmark_node* parent, double indent, bool tight, bool quote) {
  for (cmark_node* n = cmark_node_first_child(parent); n; n = cmark_node_next(n)) {
    MarkdownBlock(flow, n, indent, tight, quote, {});
  }
}

// --- the document

std::string CountLine(std::int64_t n, const char* one, const char* many) {
  return FormatThousands(n) + " " + (n == 1 ? one : many);
}

// A name or place of any direction inside a left-to-right line: Unicode's first-strong
// isolate (U+2068 ... U+2069), so "محمد عبد الله · Berlin" keeps its parts in order.
std::string Isolate(const std::string& markup) { return "\u2068" + markup + "\u2069"; }

std::string SignerMarkup(const LetterPdfSigner& s) {
  std::string out = Isolate(Esc(s.name));
  std::string detail;
  auto add = [&detail](const std::string& part) {
    if (part.empty()) return;
    if (!detail.empty()) detail += " · ";
    detail += part;
  };
  if (s.verified) add("verified");
  if (!s.group.empty()) add(Isolate(s.group));
  if (!s.place.empty()) add(Isolate(s.place));
  if (s.day != 0) add(FormatDate(s.day));
  if (!detail.empty()) {
    out += "  <span size=\"smaller\" foreground=\"#444444\">" + Esc(detail) + "</span>";
  }
  if (!s.comment.empty()) out += "\n<span size=\"smaller\"><i>" + Esc(s.comment) + "</i></span>";
  return out;
}

void Document(Flow& flow, const LetterPdfInput& in, cmark_node* letter) {
  Style title;
  title.font = "Serif Bold 20";
  title.space_after = 4;
  flow.Bookmark(in.title);
  flow.Block(Esc(in.title), title);
  if (!in.demand.empty()) {
    Style demand;
    demand.font = "Serif Italic 12";
    demand.space_after = 8;
    flow.Block(Esc(in.demand), demand);
  }
  if (!in.organizer.empty()) {
    Style org;
    org.font = "Serif 10";
    org.gray = 0.25;
    flow.Block(Esc(in.organizer), org);
  }
  if (!in.targets.empty()) {
    std::string to = "<b>To:</b>";
    for (const auto& t : in.targets) {
      to += "\n" + Esc(t.name);
      std::string detail = t.title;
      if (!t.organization.empty()) detail += (detail.empty() ? "" : ", ") + t.organization;
      if (!detail.empty()) to += ", " + Esc(detail);
    }
    Style s;
    s.space_before = 6;
    s.space_after = 10;
    flow.Block(to, s);
  }
  MarkdownBlocks(flow, letter, 0, false, false);

  Style h2;
  h2.font = "Serif Bold 14";
  h2.space_before = 14;
  h2.space_after = 6;
  h2.keep_with_next = true;
  Style body;

  flow.Bookmark("Signed by");
  flow.Block("Signed by", h2);
  std::string count = "<b>" + CountLine(in.confirmed, "person", "people") +
                      "</b> confirmed their signature by email";
  if (in.unnamed > 0) {
    count += "; " + FormatThousands(static_cast<std::int64_t>(in.signers.size())) +
             " are named below and " + FormatThousands(in.unnamed) + " chose not to be named";
  }
  flow.Block(count + ".", body);
  for (const auto& g : in.groups) {
    std::string line = "<b>" + Esc(g.name) + "</b>: ";
    line += g.count ? CountLine(*g.count, "signature", "signatures")
                    : "fewer than " + FormatThousands(g.fewer_than) + " signatures";
    if (!g.detail.empty()) line += " (" + Esc(g.detail) + ")";
    Style s = body;
    s.space_after = 2;
    flow.Block(line, s);
  }
  if (!in.signers.empty()) {
    flow.Rule();
    flow.SetColumns(2);
    Style name;
    name.font = "Serif 9.5";
    // Room for the longest number ("1,234,567.") in the indent.
    name.indent =
        10 + 5.2 * static_cast<double>(
                       FormatThousands(static_cast<std::int64_t>(in.signers.size())).size() + 1);
    name.space_after = 2;
    name.keep_together = true;
    name.auto_dir = false;
    std::int64_t n = 0;
    for (const auto& s : in.signers) {
      flow.Block(SignerMarkup(s), name,
                 "<span foreground=\"#555555\">" + FormatThousands(++n) + ".</span>");
    }
    flow.SetColumns(1);
    flow.Rule();
  }

  if (!in.organizations.empty()) {
    flow.Bookmark("Co-signed by");
    flow.Block("Co-signed by", h2);
    flow.Block("<b>" +
                   CountLine(static_cast<std::int64_t>(in.organizations.size()), "organization",
                             "organizations") +
                   "</b> co-signed this letter in their own name.",
               body);
    for (const auto& o : in.organizations) {
      std::string line = "<b>" + Esc(o.name) + "</b>";
      if (!o.website.empty()) line += " (" + Esc(o.website) + ")";
      if (!o.statement.empty()) line += "\n<i>" + Esc(o.statement) + "</i>";
      Style s = body;
      s.indent = 12;
      s.space_after = 4;
      s.keep_together = true;
      flow.Block(line, s);
    }
  }

  flow.Bookmark("How to check this count");
  flow.Block("How to check this count", h2);
  if (in.checkpoint) {
    const auto& c = *in.checkpoint;
    flow.Block(
        "Every confirmed signature is recorded in a public, tamper-evident log. Its signed "
        "checkpoint below, of " +
            CountLine(static_cast<std::int64_t>(c.tree_size), "entry", "entries") + ", held " +
            CountLine(c.confirmed, "signature", "signatures") +
            " for this letter. Anyone can recompute every count from the log and check that "
            "no signature was removed.",
        body);
    Style field = body;
    field.space_after = 2;
    field.indent = 12;
    auto row = [&](const char* label, const std::string& value, bool mono) {
      if (value.empty()) return;
      std::string v = Esc(value);
      if (mono) v = "<tt>" + v + "</tt>";
      flow.Block(std::string("<b>") + label + ":</b> " + v, field);
    };
    row("Log", c.origin, false);
    row("Log URL", c.log_url, false);
    row("Tree size", FormatThousands(static_cast<std::int64_t>(c.tree_size)), false);
    row("Root hash", c.root_hash_hex, true);
    row("Signed", c.signed_at ? FormatIso8601(c.signed_at) : std::string(), false);
    if (!c.audit_command.empty()) {
      Style mono = body;
      mono.font = "Monospace 8.5";
      mono.space_before = 6;
      flow.Block(Esc(c.audit_command), mono);
    }
    if (!c.note.empty()) {
      Style mono = body;
      mono.font = "Monospace 8";
      mono.space_before = 6;
      std::string note = c.note;
      while (!note.empty() && note.back() == '\n') note.pop_back();
      flow.Block(Esc(note), mono);
    }
  } else {
    flow.Block("This site keeps no signature log.", body);
  }
  Style small;
  small.font = "Serif 9";
  small.gray = 0.3;
  small.space_before = 10;
  std::string made = "This copy was made on " + FormatDate(in.made) + ".";
  if (!in.campaign_url.empty()) {
    made = "The letter and its signatures: " + in.campaign_url + ". " + made;
  }
  flow.Block(Esc(made), small);
  flow.Finish();
}

Result<void> CheckText(const std::string& field, const std::string& value, bool required) {
  if (required && value.empty()) {
    return Fail(Code::kInvalidArgument, field + " is required for the letter's PDF");
  }
  if (!IsValidUtf8(value)) {
    return Fail(Code::kInvalidArgument, field + " is not valid UTF-8");
  }
  return {};
}

Result<void> CheckInput(const LetterPdfInput& in) {
  auto check = [](const std::string& f, const std::string& v, bool req = false) {
    return CheckText(f, v, req);
  };
  Result<void> ok;
  if (!(ok = check("title", in.title, true))) return ok;
  if (!(ok = check("demand", in.demand))) return ok;
  if (!(ok = check("letter", in.letter_markdown))) return ok;
  if (!(ok = check("organizer", in.organizer))) return ok;
  if (!(ok = check("campaign URL", in.campaign_url))) return ok;
  if (!(ok = check("language", in.language))) return ok;
  for (std::size_t i = 0; i < in.targets.size(); ++i) {
    const std::string f = "targets[" + std::to_string(i) + "]";
    const auto& t = in.targets[i];
    if (!(ok = check(f + ".name", t.name, true))) return ok;
    if (!(ok = check(f + ".title", t.title))) return ok;
    if (!(ok = check(f + ".organization", t.organization))) return ok;
  }
  for (std::size_t i = 0; i < in.groups.size(); ++i) {
    const std::string f = "groups[" + std::to_string(i) + "]";
    if (!(ok = check(f + ".name", in.groups[i].name, true))) return ok;
    if (!(ok = check(f + ".detail", in.groups[i].detail))) return ok;
  }
  for (std::size_t i = 0; i < in.signers.size(); ++i) {
    const std::string f = "signers[" + std::to_string(i) + "]";
    const auto& s = in.signers[i];
    if (!(ok = check(f + ".name", s.name, true))) return ok;
    if (!(ok = check(f + ".place", s.place))) return ok;
    if (!(ok = check(f + ".group", s.group))) return ok;
    if (!(ok = check(f + ".comment", s.comment))) return ok;
  }
  for (std::size_t i = 0; i < in.organizations.size(); ++i) {
    const std::string f = "organizations[" + std::to_string(i) + "]";
    const auto& o = in.organizations[i];
    if (!(ok = check(f + ".name", o.name, true))) return ok;
    if (!(ok = check(f + ".website", o.website))) return ok;
    if (!(ok = check(f + ".statement", o.statement))) return ok;
  }
  if (in.checkpoint) {
    const auto& c = *in.checkpoint;
    if (!(ok = check("checkpoint.origin", c.origin))) return ok;
    if (!(ok = check("checkpoint.log_url", c.log_url))) return ok;
    if (!(ok = check("checkpoint.note", c.note))) return ok;
    if (!(ok = check("checkpoint.audit_command", c.audit_command))) return ok;
    if (c.root_hash_hex.size() != 64 ||
        c.root_hash_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return Fail(Code::kInvalidArgument, "checkpoint.root_hash_hex must be 64 hex digits");
    }
  }
  return {};
}

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<std::string> RenderLetterPdf(const LetterPdfInput& input) {
  if (auto ok = CheckInput(input); !ok) return Fail(ok.error());
  const int options = CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_SMART;
  std::unique_ptr<cmark_node, CallDeleter<cmark_node, cmark_node_free>> letter(
      cmark_parse_document(input.letter_markdown.data(), input.letter_markdown.size(), options));
  if (!letter) return Fail(Code::kInternal, "cmark could not parse the letter");
  ContextPtr ctx = MakePangoContext(input.language);

  // First pass: where every page breaks, to number them "page N of M".
  Flow measure(nullptr, nullptr, ctx.get(), input, 0);
  Document(measure, input, letter.get());
  const int pages = measure.page();

  std::string pdf;
  SurfacePtr surface(
      cairo_pdf_surface_create_for_stream(AppendToString, &pdf, kPageWidth, kPageHeight));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, input.title.c_str());
  if (!input.organizer.empty()) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_AUTHOR,
                                   input.organizer.c_str());
  }
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "undersigned");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_SUBJECT, input.demand.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                 FormatIso8601(input.made).c_str());
  {
    CairoPtr cr(cairo_create(surface.get()));
    Flow draw(cr.get(), surface.get(), ctx.get(), input, pages);
    Document(draw, input, letter.get());
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      return Fail(Code::kInternal,
                  std::string("cairo: ") + cairo_status_to_string(cairo_status(cr.get())));
    }
  }
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return Fail(Code::kInternal, std::string("cairo: ") +
                                     cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  return pdf;
}

}  // namespace undersigned::render
