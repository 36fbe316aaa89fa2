// Uploaded pictures made safe: co-signing organizations' logos and campaigns' pictures. Checks that
// uploaded bytes really are a PNG or JPEG image by decoding them fully (libpng, libjpeg-turbo),
// refuses oversized files and decompression bombs (the dimensions are checked from the header
// before any pixel buffer is allocated), scales the picture down with an area average, and
// re-encodes it as a fresh 8-bit RGBA PNG (a logo) or a baseline JPEG (a campaign's picture).
// Nothing of the upload survives but its pixels: no text, EXIF, ICC or other chunks or markers.
// Pure function with no shared state; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace undersigned::render {

struct LogoLimits {
  std::size_t max_bytes = 1 << 20;  // 1 MiB: size of the uploaded file
  int max_pixels_side = 4096;       // width and height of the decoded image, each
  int output_side = 256;            // the longer side of the output is at most this
  const char* noun = "the logo";    // what the error messages call the upload
  int jpeg_quality = 85;            // NormalizePicture's output, 1..100
};

// A campaign's picture: what people upload is mostly photographs, which PNG would keep at ten
// times the size, so it is re-encoded as a JPEG (composed over white) instead.
inline constexpr LogoLimits kPictureLimits{8 << 20, 8192, 1600, "the picture", 85};
struct Picture {
  std::string jpeg;
  int width = 0;
  int height = 0;
};

// Returns the normalized PNG. Images whose longer side is above limits.output_side are scaled
// down keeping the aspect ratio (the shorter side is at least 1 pixel); smaller ones keep their
// size. Fails with kInvalidArgument and a message meant for the uploader when the bytes are not
// a PNG or JPEG, are damaged or truncated, or are over a limit. CMYK JPEGs are converted;
// EXIF orientation is not applied.
Result<std::string> NormalizeLogo(std::string_view uploaded_bytes, const LogoLimits& limits = {});

// The same checks and scaling, re-encoded as a baseline JPEG (no EXIF, ICC or comment survives)
// with limits.jpeg_quality: the bytes of a campaign's picture as they are kept and served.
Result<Picture> NormalizePicture(std::string_view uploaded_bytes,
                                 const LogoLimits& limits = kPictureLimits);

}  // namespace undersigned::render
