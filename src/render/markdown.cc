#include "render/markdown.h"

#include <cmark.h>

#include <cstdlib>
#include <memory>

namespace undersigned::render {

std::string RenderMarkdown(std::string_view md, int top_heading_level) {
  // CMARK_OPT_SAFE is the default since cmark 0.29 (CMARK_OPT_UNSAFE turns it off); it is
  // named anyway so the intent is visible and older versions behave the same.
  const int options = CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_SMART;
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> doc(
      cmark_parse_document(md.data(), md.size(), options), &cmark_node_free);
  if (!doc) return {};
  if (top_heading_level > 0) {
    // First pass: the highest (smallest) heading level used; second: shift all of them.
    int top = 7;
    for (int pass = 0; pass < 2; ++pass) {
      cmark_iter* iter = cmark_iter_new(doc.get());
      cmark_event_type ev;
      while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
        cmark_node* node = cmark_iter_get_node(iter);
        if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_HEADING) continue;
        const int level = cmark_node_get_heading_level(node);
        if (pass == 0) {
          top = level < top ? level : top;
        } else {
          const int shifted = level - top + top_heading_level;
          cmark_node_set_heading_level(node, shifted < 1 ? 1 : (shifted > 6 ? 6 : shifted));
        }
      }
      cmark_iter_free(iter);
      if (top == 7) break;  // no headings
    }
  }
  char* html = cmark_render_html(doc.get(), options);
  if (html == nullptr) return {};
  std::string out(html);
  std::free(html);
  return out;
}

}  // namespace undersigned::render
