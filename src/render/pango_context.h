// The pango context the server's drawings share (render/letter_pdf.cc, render/share_card.cc):
// 72 dpi, so that a pango point is a PDF point (and a pixel of the share card), with hinting off
// and unhinted metrics, so that a layout measures the same whatever surface it is then drawn on,
// and the text's language for shaping and line breaking. Thread-safe: each call makes its own.
#pragma once

#include <pango/pangocairo.h>

#include <memory>
#include <string>

namespace undersigned::render {

struct PangoContextUnref {
  void operator()(PangoContext* p) const { g_object_unref(p); }
};
using PangoContextPtr = std::unique_ptr<PangoContext, PangoContextUnref>;

// language: a BCP 47 tag ("en", "ar"), or empty for pango's default.
PangoContextPtr MakePangoContext(const std::string& language);

}  // namespace undersigned::render
