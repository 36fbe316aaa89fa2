#include "render/logo.h"

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <png.h>

namespace undersigned::render {
namespace {

// A progressive JPEG can hold thousands of tiny scans that each cost a pass over the whole
// coefficient buffer (a CPU bomb); real encoders emit about ten.
constexpr int kMaxJpegScans = 100;
// Bound on libjpeg's own working memory (a progressive 4096x4096 4:4:4 image needs ~100 MiB).
constexpr long kMaxJpegMemory = 256L * 1024 * 1024;

// Decoded pixels, 8-bit RGBA, rows packed.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<unsigned char> rgba;
};

std::string FormatBytes(std::size_t n) {
  constexpr std::size_t kKiB = 1024, kMiB = kKiB * kKiB;
  if (n >= kMiB && n % kMiB == 0) return std::to_string(n / kMiB) + " MiB";
  if (n >= kKiB && n % kKiB == 0) return std::to_string(n / kKiB) + " KiB";
  return std::to_string(n) + " bytes";
}

tl::unexpected<Error> NotAnImage(const LogoLimits& limits) {
  return Fail(Code::kInvalidArgument, std::string(limits.noun) + " must be a PNG or JPEG image");
}

tl::unexpected<Error> Damaged(const LogoLimits& limits, const char* format,
                              std::string_view detail) {
  std::string message = std::string(limits.noun) + " looks like a " + format +
                        " image but could not be read; the file may be damaged or incomplete";
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  return Fail(Code::kInvalidArgument, std::move(message));
}

tl::unexpected<Error> TooManyPixels(unsigned long width, unsigned long height,
                                    const LogoLimits& limits) {
  return Fail(Code::kInvalidArgument, std::string(limits.noun) + " is " + std::to_string(width) +
                                          "\u00d7" + std::to_string(height) + " pixels; at most " +
                                          std::to_string(limits.max_pixels_side) + " on each side");
}

bool Oversized(unsigned long width, unsigned long height, const LogoLimits& limits) {
  unsigned long max = static_cast<unsigned long>(std::max(limits.max_pixels_side, 1));
  return width > max || height > max;
}

// ---- PNG, with libpng's simplified API: it catches libpng's longjmp errors internally and
// reports them in png_image::message, so no setjmp frame is needed here.

// Frees libpng's state on every path (png_image_free is a no-op once it has been freed).
struct PngImageGuard {
  png_image* image;
  ~PngImageGuard() { png_image_free(image); }
};

Result<Image> DecodePng(std::string_view bytes, const LogoLimits& limits) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  PngImageGuard guard{&image};
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return Damaged(limits, "PNG", image.message);
  }
  // Only the header has been read: check the size before allocating anything for pixels.
  if (Oversized(image.width, image.height, limits)) {
    return TooManyPixels(image.width, image.height, limits);
  }
  image.format = PNG_FORMAT_RGBA;  // converts palette, grey, 16-bit and gamma to 8-bit sRGBA
  Image out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
    return Damaged(limits, "PNG", image.message);
  }
  return out;
}

Result<std::string> EncodePng(const Image& img) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(img.width);
  image.height = static_cast<png_uint_32>(img.height);
  image.format = PNG_FORMAT_RGBA;
  PngImageGuard guard{&image};
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(image);
  std::string png(size, '\0');
  if (!png_image_write_to_memory(&image, png.data(), &size, 0, img.rgba.data(), 0, nullptr)) {
    return Fail(Code::kInternal, std::string("could not encode the logo as PNG: ") + image.message);
  }
  png.resize(size);
  return png;
}

// ---- JPEG, with libjpeg. Its default error handler calls exit(), so errors longjmp back to
// DecodeJpegInto. Everything that frame touches lives in a JpegJob owned by the caller, and the
// frame itself holds no C++ object, so the jump skips no destructor and no local is read after
// it. The caller releases libjpeg's state and the pixel buffer on every path.

struct JpegErrorManager {
  jpeg_error_mgr pub;  // first, so libjpeg's jpeg_error_mgr* points at the whole struct
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

struct JpegJob {
  // Inputs.
  const unsigned char* data;
  unsigned long size;
  unsigned long max_side;
  // libjpeg state; the error manager and progress monitor must outlive cinfo's use.
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  jpeg_progress_mgr progress;
  // Outputs.
  bool failed;          // err.message says why
  bool oversized;       // width/height are above max_side
  bool out_of_memory;   // the pixel buffer could not be allocated
  bool cmyk;            // pixels hold CMYK, to convert
  bool adobe_inverted;  // CMYK values are stored inverted (Adobe)
  unsigned long width, height;
  unsigned char* pixels;  // malloc'ed width*height*4 bytes; the caller frees it
};

[[noreturn]] void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings are how libjpeg reports corrupt or truncated data (it would fill in grey and go on);
// the logo must decode cleanly, so they are fatal.
void JpegEmitMessage(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) JpegErrorExit(cinfo);
}

void JpegProgress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > kMaxJpegScans) {
    auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "more than %d progressive scans",
                  kMaxJpegScans);
    std::longjmp(err->jump, 1);
  }
}

void DecodeJpegInto(JpegJob* job) {
  job->cinfo.err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = JpegErrorExit;
  job->err.pub.emit_message = JpegEmitMessage;
  if (setjmp(job->err.jump)) {
    job->failed = true;
    return;
  }
  jpeg_create_decompress(&job->cinfo);
  job->cinfo.mem->max_memory_to_use = kMaxJpegMemory;
  job->progress.progress_monitor = JpegProgress;
  job->cinfo.progress = &job->progress;
  jpeg_mem_src(&job->cinfo, job->data, job->size);
  jpeg_read_header(&job->cinfo, TRUE);
  job->width = job->cinfo.image_width;
  job->height = job->cinfo.image_height;
  // Only the header has been read: check the size before anything is allocated for pixels.
  if (job->width > job->max_side || job->height > job->max_side) {
    job->oversized = true;
    return;
  }
  if (job->cinfo.jpeg_color_space == JCS_CMYK || job->cinfo.jpeg_color_space == JCS_YCCK) {
    job->cmyk = true;
    job->adobe_inverted = job->cinfo.saw_Adobe_marker;
    job->cinfo.out_color_space = JCS_CMYK;
  } else {
    job->cinfo.out_color_space = JCS_EXT_RGBA;  // grey and YCbCr alike, alpha set to 255
  }
  jpeg_start_decompress(&job->cinfo);
  if (job->cinfo.output_components != 4 || job->cinfo.output_width != job->width ||
      job->cinfo.output_height != job->height) {
    std::snprintf(job->err.message, sizeof job->err.message, "unexpected output format");
    job->failed = true;
    return;
  }
  job->pixels = static_cast<unsigned char*>(std::malloc(job->width * job->height * 4));
  if (job->pixels == nullptr) {
    job->out_of_memory = true;
    return;
  }
  while (job->cinfo.output_scanline < job->cinfo.output_height) {
    JSAMPROW row = job->pixels + job->cinfo.output_scanline * job->width * 4;
    jpeg_read_scanlines(&job->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&job->cinfo);
}

// Frees what DecodeJpegInto left behind, on every path.
struct JpegJobGuard {
  JpegJob* job;
  ~JpegJobGuard() {
    jpeg_destroy_decompress(&job->cinfo);  // a no-op if never created (cinfo.mem is null)
    std::free(job->pixels);
  }
};

Result<Image> DecodeJpeg(std::string_view bytes, const LogoLimits& limits) {
  // Zeroed: cinfo.mem and pixels are null until libjpeg and malloc set them.
  JpegJob job_storage;
  std::memset(&job_storage, 0, sizeof job_storage);
  JpegJob* job = &job_storage;
  job->data = reinterpret_cast<const unsigned char*>(bytes.data());
  job->size = bytes.size();
  job->max_side = static_cast<unsigned long>(std::max(limits.max_pixels_side, 1));
  JpegJobGuard guard{job};
  DecodeJpegInto(job);
  if (job->failed) return Damaged(limits, "JPEG", job->err.message);
  if (job->oversized) return TooManyPixels(job->width, job->height, limits);
  if (job->out_of_memory) {
    return Fail(Code::kInvalidArgument, std::string(limits.noun) + " is too large to process");
  }

  Image out;
  out.width = static_cast<int>(job->width);
  out.height = static_cast<int>(job->height);
  const unsigned char* p = job->pixels;
  out.rgba.assign(p, p + job->width * job->height * 4);
  if (job->cmyk) {
    for (std::size_t i = 0; i < out.rgba.size(); i += 4) {
      unsigned c = out.rgba[i], m = out.rgba[i + 1], y = out.rgba[i + 2], k = out.rgba[i + 3];
      if (!job->adobe_inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
      // Now 255 means "no ink": R = (1 - C)(1 - K) with inverted values.
      out.rgba[i] = static_cast<unsigned char>((c * k + 127) / 255);
      out.rgba[i + 1] = static_cast<unsigned char>((m * k + 127) / 255);
      out.rgba[i + 2] = static_cast<unsigned char>((y * k + 127) / 255);
      out.rgba[i + 3] = 255;
    }
  }
  return out;
}

// ---- Scaling: each output pixel is the average of the block of source pixels it covers,
// weighted by alpha so transparent pixels do not darken the edges.

Image Downscale(const Image& src, int out_width, int out_height) {
  Image dst;
  dst.width = out_width;
  dst.height = out_height;
  dst.rgba.resize(static_cast<std::size_t>(out_width) * out_height * 4);
  std::vector<int> x_begin(out_width + 1);
  for (int x = 0; x <= out_width; ++x) {
    x_begin[x] = static_cast<int>(static_cast<std::int64_t>(x) * src.width / out_width);
  }
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(out_width) * 4);
  std::vector<std::uint64_t> alpha(out_width);
  for (int oy = 0; oy < out_height; ++oy) {
    int y0 = static_cast<int>(static_cast<std::int64_t>(oy) * src.height / out_height);
    int y1 = static_cast<int>(static_cast<std::int64_t>(oy + 1) * src.height / out_height);
    std::fill(sums.begin(), sums.end(), 0);
    std::fill(alpha.begin(), alpha.end(), 0);
    for (int y = y0; y < y1; ++y) {
      const unsigned char* row = src.rgba.data() + static_cast<std::size_t>(y) * src.width * 4;
      for (int ox = 0; ox < out_width; ++ox) {
        std::uint64_t* s = &sums[static_cast<std::size_t>(ox) * 4];
        for (int x = x_begin[ox]; x < x_begin[ox + 1]; ++x) {
          const unsigned char* px = row + static_cast<std::size_t>(x) * 4;
          std::uint64_t a = px[3];
          s[0] += px[0] * a;
          s[1] += px[1] * a;
          s[2] += px[2] * a;
          alpha[ox] += a;
        }
      }
    }
    for (int ox = 0; ox < out_width; ++ox) {
      std::uint64_t count = static_cast<std::uint64_t>(y1 - y0) * (x_begin[ox + 1] - x_begin[ox]);
      unsigned char* out = &dst.rgba[(static_cast<std::size_t>(oy) * out_width + ox) * 4];
      std::uint64_t a = alpha[ox];
      const std::uint64_t* s = &sums[static_cast<std::size_t>(ox) * 4];
      if (a == 0) {
        out[0] = out[1] = out[2] = out[3] = 0;
        continue;
      }
      for (int c = 0; c < 3; ++c) out[c] = static_cast<unsigned char>((s[c] + a / 2) / a);
      out[3] = static_cast<unsigned char>((a + count / 2) / count);
    }
  }
  return dst;
}

bool IsPng(std::string_view b) { return b.substr(0, 8) == "\x89PNG\r\n\x1a\n"; }
bool IsJpeg(std::string_view b) { return b.substr(0, 3) == "\xff\xd8\xff"; }

}  // namespace

namespace {

// Decodes, checks and scales down (keeping the aspect ratio) what NormalizeLogo and
// NormalizePicture share.
Result<Image> DecodeAndFit(std::string_view uploaded_bytes, const LogoLimits& limits) {
  if (uploaded_bytes.size() > limits.max_bytes) {
    return Fail(Code::kInvalidArgument,
                std::string(limits.noun) + " is larger than " + FormatBytes(limits.max_bytes));
  }
  Result<Image> decoded;
  if (IsPng(uploaded_bytes)) {
    decoded = DecodePng(uploaded_bytes, limits);
  } else if (IsJpeg(uploaded_bytes)) {
    decoded = DecodeJpeg(uploaded_bytes, limits);
  } else {
    return NotAnImage(limits);
  }
  if (!decoded) return Fail(decoded.error());
  Image& img = *decoded;
  if (img.width <= 0 || img.height <= 0) return NotAnImage(limits);

  const int side = std::max(limits.output_side, 1);
  if (img.width > side || img.height > side) {
    int w, h;
    if (img.width >= img.height) {
      w = side;
      h = static_cast<int>((static_cast<std::int64_t>(img.height) * side + img.width / 2) /
                           img.width);
    } else {
      h = side;
      w = static_cast<int>((static_cast<std::int64_t>(img.width) * side + img.height / 2) /
                           img.height);
    }
    img = Downscale(img, std::max(w, 1), std::max(h, 1));
  }
  return decoded;
}

// ---- JPEG encoding, as decoding above: the frame with setjmp touches only the job its caller
// owns, and holds no C++ object.
struct JpegEncodeJob {
  // Inputs.
  const Image* img;
  int quality;
  unsigned char* row;  // img->width * 3 bytes, owned by the caller
  // libjpeg state and outputs.
  jpeg_compress_struct cinfo;
  JpegErrorManager err;
  bool failed;
  unsigned char* out;  // malloc'ed by libjpeg's memory destination; the caller frees it
  unsigned long out_size;
};

void EncodeJpegInto(JpegEncodeJob* job) {
  job->cinfo.err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = JpegErrorExit;
  if (setjmp(job->err.jump)) {
    job->failed = true;
    return;
  }
  jpeg_create_compress(&job->cinfo);
  jpeg_mem_dest(&job->cinfo, &job->out, &job->out_size);
  const Image& img = *job->img;
  job->cinfo.image_width = static_cast<JDIMENSION>(img.width);
  job->cinfo.image_height = static_cast<JDIMENSION>(img.height);
  job->cinfo.input_components = 3;
  job->cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&job->cinfo);
  jpeg_set_quality(&job->cinfo, job->quality, TRUE);
  jpeg_start_compress(&job->cinfo, TRUE);
  while (job->cinfo.next_scanline < job->cinfo.image_height) {
    const unsigned char* src =
        img.rgba.data() + static_cast<std::size_t>(job->cinfo.next_scanline) * img.width * 4;
    for (int x = 0; x < img.width; ++x) {
      const unsigned a = src[4 * x + 3];
      for (int c = 0; c < 3; ++c) {
        job->row[3 * x + c] =
            static_cast<unsigned char>((src[4 * x + c] * a + 255 * (255 - a) + 127) / 255);
      }
    }
    JSAMPROW rows[1] = {job->row};
    jpeg_write_scanlines(&job->cinfo, rows, 1);
  }
  jpeg_finish_compress(&job->cinfo);
}

// Baseline JPEG of img's pixels composed over white (a photo has no transparency to keep), with
// no marker but the JFIF header.
Result<std::string> EncodeJpeg(const Image& img, int quality) {
  std::vector<unsigned char> row(static_cast<std::size_t>(img.width) * 3);
  JpegEncodeJob job_storage;
  std::memset(&job_storage, 0, sizeof job_storage);
  JpegEncodeJob* job = &job_storage;
  job->img = &img;
  job->quality = std::clamp(quality, 1, 100);
  job->row = row.data();
  EncodeJpegInto(job);
  jpeg_destroy_compress(&job->cinfo);
  std::string jpeg;
  if (!job->failed) jpeg.assign(reinterpret_cast<const char*>(job->out), job->out_size);
  std::free(job->out);
  if (job->failed) {
    return Fail(Code::kInternal,
                std::string("could not encode the picture as JPEG: ") + job->err.message);
  }
  return jpeg;
}

}  // namespace

Result<std::string> NormalizeLogo(std::string_view uploaded_bytes, const LogoLimits& limits) {
  auto img = DecodeAndFit(uploaded_bytes, limits);
  if (!img) return Fail(img.error());
  return EncodePng(*img);
}

Result<Picture> NormalizePicture(std::string_view uploaded_bytes, const LogoLimits& limits) {
  auto img = DecodeAndFit(uploaded_bytes, limits);
  if (!img) return Fail(img.error());
  auto jpeg = EncodeJpeg(*img, limits.jpeg_quality);
  if (!jpeg) return Fail(jpeg.error());
  return Picture{std::move(*jpeg), img->width, img->height};
}

}  // namespace undersigned::render
