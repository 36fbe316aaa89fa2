#include "render/pango_context.h"

namespace undersigned::render {

PangoContextPtr MakePangoContext(const std::string& language) {
  PangoContextPtr ctx(pango_font_map_create_context(pango_cairo_font_map_get_default()));
  pango_cairo_context_set_resolution(ctx.get(), 72);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  // Grey antialiasing for the card's pixels (a PDF's text is vector: unaffected).
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options(ctx.get(), options);
  cairo_font_options_destroy(options);
  if (!language.empty()) {
    pango_context_set_language(ctx.get(), pango_language_from_string(language.c_str()));
  }
  return ctx;
}

}  // namespace undersigned::render
