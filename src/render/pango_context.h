// What the server's drawings share (render/letter_pdf.cc, render/share_card.cc): owning pointers
// for cairo's and pango's objects, and the pango context they lay text out with: 72 dpi, so that
// a pango point is a PDF point (and a pixel of the share card), hinting off and metrics unhinted,
// so that a layout measures the same whatever surface it is then drawn on, and the text's
// language for shaping and line breaking. Thread-safe: each call makes its own context.
#pragma once

#include <pango/pangocairo.h>

#include <memory>
#include <string>

namespace undersigned::render {

// A unique_ptr deleter calling F.
template <typename T, void (*F)(T*)>
struct CallDeleter {
  void operator()(T* p) const { F(p); }
};
inline void UnrefGObject(void* p) { g_object_unref(p); }
using SurfacePtr =
    std::unique_ptr<cairo_surface_t, CallDeleter<cairo_surface_t, cairo_surface_destroy>>;
using CairoPtr = std::unique_ptr<cairo_t, CallDeleter<cairo_t, cairo_destroy>>;
using PangoContextPtr = std::unique_ptr<PangoContext, CallDeleter<void, UnrefGObject>>;
using LayoutPtr = std::unique_ptr<PangoLayout, CallDeleter<void, UnrefGObject>>;
using FontPtr = std::unique_ptr<PangoFontDescription,
                                CallDeleter<PangoFontDescription, pango_font_description_free>>;

// language: a BCP 47 tag ("en", "ar"), or empty for pango's default.
PangoContextPtr MakePangoContext(const std::string& language);

}  // namespace undersigned::render
