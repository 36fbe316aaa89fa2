// A QR code's module matrix, made by libqrencode (Debian's libqrencode-dev), for the printed
// flyer and poster (render/flyer_pdf.h) to draw. Pure function, thread-safe (libqrencode keeps
// no state between calls).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace undersigned::render {

// A square of size x size modules, row by row, true = dark. No quiet zone: whoever draws it
// leaves four modules of white around it.
struct QrMatrix {
  int size = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[static_cast<std::size_t>(y) * size + x]; }
};

// The QR code of text (8-bit mode, error correction level M: a printed code still scans when
// about 15% of it is dirty or folded), of the smallest version that holds it.
// Errors: kInvalidArgument for an empty text or one too long for any QR code (the message says
// so); kInternal when libqrencode fails otherwise (out of memory).
Result<QrMatrix> EncodeQr(const std::string& text);

}  // namespace undersigned::render
