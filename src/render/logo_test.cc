#include "render/logo.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

namespace undersigned::render {
namespace {

struct Pixels {
  int width = 0;
  int height = 0;
  std::vector<unsigned char> rgba;  // 8-bit RGBA, rows packed

  unsigned char* At(int x, int y) { return &rgba[(static_cast<std::size_t>(y) * width + x) * 4]; }
};

Pixels Solid(int w, int h, unsigned char r, unsigned char g, unsigned char b,
             unsigned char a = 255) {
  Pixels p{w, h, {}};
  p.rgba.resize(static_cast<std::size_t>(w) * h * 4);
  for (std::size_t i = 0; i < p.rgba.size(); i += 4) {
    p.rgba[i] = r, p.rgba[i + 1] = g, p.rgba[i + 2] = b, p.rgba[i + 3] = a;
  }
  return p;
}

// Encodes with libpng's simplified API in the given format (RGBA buffer converted by libpng
// is not supported for all formats, so `data` must already be in `format`).
std::string WritePng(int w, int h, png_uint_32 format, const void* data,
                     const void* colormap = nullptr, int colormap_entries = 0) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = format;
  image.colormap_entries = colormap_entries;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_get_memory_size(image, size, 0, data, 0, colormap));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, data, 0, colormap))
      << image.message;
  out.resize(size);
  return out;
}

std::string WritePng(const Pixels& p) {
  return WritePng(p.width, p.height, PNG_FORMAT_RGBA, p.rgba.data());
}

// Decodes a PNG to RGBA; width 0 when it does not decode.
Pixels ReadPng(const std::string& png) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  Pixels p;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) return p;
  image.format = PNG_FORMAT_RGBA;
  std::vector<unsigned char> buf(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, buf.data(), 0, nullptr)) {
    png_image_free(&image);
    return p;
  }
  p.width = static_cast<int>(image.width);
  p.height = static_cast<int>(image.height);
  p.rgba = std::move(buf);
  return p;
}

std::uint32_t Be32(const std::string& s, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

std::string PutBe32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string Chunk(const std::string& type, const std::string& data) {
  std::string body = type + data;
  auto crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size());
  return PutBe32(data.size()) + body + PutBe32(static_cast<std::uint32_t>(crc));
}

// The chunk types of a PNG, in order.
std::vector<std::string> ChunkTypes(const std::string& png) {
  std::vector<std::string> types;
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    std::uint32_t len = Be32(png, at);
    types.push_back(png.substr(at + 4, 4));
    at += 12 + len;
  }
  return types;
}

// Inserts chunks right after IHDR (which is 8 + 25 bytes into the file).
std::string WithChunksAfterHeader(const std::string& png, const std::string& chunks) {
  return png.substr(0, 33) + chunks + png.substr(33);
}

// Rewrites IHDR's width and height (and its CRC).
std::string WithPngSize(const std::string& png, std::uint32_t w, std::uint32_t h) {
  std::string ihdr_data = PutBe32(w) + PutBe32(h) + png.substr(24, 5);
  return png.substr(0, 8) + Chunk("IHDR", ihdr_data) + png.substr(33);
}

enum class JpegKind { kRgb, kGray, kProgressive, kCmykAdobe };

// Encodes RGB (or grey, or CMYK: 4 bytes per pixel) samples with libjpeg.
std::string WriteJpeg(int w, int h, const std::vector<unsigned char>& samples, JpegKind kind,
                      const jpeg_scan_info* scans = nullptr, int num_scans = 0) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* mem = nullptr;
  unsigned long mem_size = 0;
  jpeg_mem_dest(&cinfo, &mem, &mem_size);
  cinfo.image_width = w;
  cinfo.image_height = h;
  int components = 3;
  switch (kind) {
    case JpegKind::kGray:
      components = 1;
      cinfo.in_color_space = JCS_GRAYSCALE;
      break;
    case JpegKind::kCmykAdobe:
      components = 4;
      cinfo.in_color_space = JCS_CMYK;
      break;
    default:
      cinfo.in_color_space = JCS_RGB;
  }
  cinfo.input_components = components;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  if (kind == JpegKind::kProgressive) jpeg_simple_progression(&cinfo);
  if (scans != nullptr) {
    cinfo.scan_info = scans;
    cinfo.num_scans = num_scans;
  }
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(samples.data()) +
                   static_cast<std::size_t>(cinfo.next_scanline) * w * components;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<char*>(mem), mem_size);
  jpeg_destroy_compress(&cinfo);
  std::free(mem);
  return out;
}

std::vector<unsigned char> RgbSamples(int w, int h, unsigned char r, unsigned char g,
                                      unsigned char b) {
  std::vector<unsigned char> s(static_cast<std::size_t>(w) * h * 3);
  for (std::size_t i = 0; i < s.size(); i += 3) s[i] = r, s[i + 1] = g, s[i + 2] = b;
  return s;
}

// Expects a valid normalized PNG of the given size and returns its pixels.
Pixels ExpectLogo(const Result<std::string>& r, int w, int h) {
  EXPECT_TRUE(r) << r.error().message;
  if (!r) return {};
  const std::string& png = *r;
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_GE(png.size(), 33u);
  if (png.size() < 33) return {};
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(png[24], 8) << "bit depth";
  EXPECT_EQ(png[25], 6) << "colour type RGBA";
  // IHDR, sRGB (written by libpng for 8-bit sRGB data), the pixels, IEND: nothing else.
  std::vector<std::string> types = ChunkTypes(png);
  EXPECT_GE(types.size(), 4u);
  for (std::size_t i = 0; i < types.size(); ++i) {
    const char* want = i == 0 ? "IHDR" : i == 1 ? "sRGB" : i + 1 == types.size() ? "IEND" : "IDAT";
    EXPECT_EQ(types[i], want) << "chunk " << i;
  }
  Pixels p = ReadPng(png);
  EXPECT_EQ(p.width, w);
  EXPECT_EQ(p.height, h);
  return p;
}

void ExpectRefused(const Result<std::string>& r, std::string_view needle) {
  ASSERT_FALSE(r) << "accepted; expected: " << needle;
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message: " << r.error().message << "\nexpected to contain: " << needle;
}

void ExpectNear(const unsigned char* px, int r, int g, int b, int a, int tolerance = 0) {
  EXPECT_NEAR(px[0], r, tolerance);
  EXPECT_NEAR(px[1], g, tolerance);
  EXPECT_NEAR(px[2], b, tolerance);
  EXPECT_NEAR(px[3], a, tolerance);
}

TEST(LogoTest, SmallPngKeepsItsSizeAndPixels) {
  Pixels src = Solid(16, 9, 10, 20, 30, 40);
  *src.At(3, 4) = 200;
  Pixels out = ExpectLogo(NormalizeLogo(WritePng(src)), 16, 9);
  ASSERT_EQ(out.width, 16);
  EXPECT_EQ(out.rgba, src.rgba);
}

TEST(LogoTest, LargePngIsScaledDownKeepingTheAspectRatio) {
  // Left half red, right half blue.
  Pixels src = Solid(1024, 512, 255, 0, 0);
  for (int y = 0; y < src.height; ++y) {
    for (int x = 512; x < 1024; ++x) {
      unsigned char* p = src.At(x, y);
      p[0] = 0, p[2] = 255;
    }
  }
  Pixels out = ExpectLogo(NormalizeLogo(WritePng(src)), 256, 128);
  ASSERT_EQ(out.width, 256);
  ExpectNear(out.At(0, 0), 255, 0, 0, 255);
  ExpectNear(out.At(127, 127), 255, 0, 0, 255);
  ExpectNear(out.At(128, 0), 0, 0, 255, 255);
  ExpectNear(out.At(255, 127), 0, 0, 255, 255);

  ExpectLogo(NormalizeLogo(WritePng(Solid(1000, 10, 1, 2, 3))), 256, 3);
  ExpectLogo(NormalizeLogo(WritePng(Solid(10, 1000, 1, 2, 3))), 3, 256);
  ExpectLogo(NormalizeLogo(WritePng(Solid(4096, 1, 1, 2, 3))), 256, 1);
  ExpectLogo(NormalizeLogo(WritePng(Solid(257, 257, 1, 2, 3))), 256, 256);
}

TEST(LogoTest, OutputSideIsConfigurable) {
  LogoLimits limits;
  limits.output_side = 64;
  ExpectLogo(NormalizeLogo(WritePng(Solid(300, 150, 1, 2, 3)), limits), 64, 32);
}

TEST(LogoTest, ScalingWeighsColourByAlpha) {
  // Even columns opaque red, odd columns fully transparent green: the average must be
  // half-transparent red, not a muddy brown-green.
  Pixels src = Solid(512, 512, 255, 0, 0);
  for (int y = 0; y < src.height; ++y) {
    for (int x = 1; x < src.width; x += 2) {
      unsigned char* p = src.At(x, y);
      p[0] = 0, p[1] = 255, p[2] = 0, p[3] = 0;
    }
  }
  // And a fully transparent corner.
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) src.At(x, y)[3] = 0;
  }
  Pixels out = ExpectLogo(NormalizeLogo(WritePng(src)), 256, 256);
  ASSERT_EQ(out.width, 256);
  ExpectNear(out.At(200, 200), 255, 0, 0, 128, 1);
  EXPECT_EQ(out.At(10, 10)[3], 0);
}

TEST(LogoTest, OtherPngFormatsAreConverted) {
  // Grey.
  std::vector<unsigned char> grey(1200, 77);
  Pixels out = ExpectLogo(NormalizeLogo(WritePng(40, 30, PNG_FORMAT_GRAY, grey.data())), 40, 30);
  ASSERT_EQ(out.width, 40);
  ExpectNear(out.At(5, 5), 77, 77, 77, 255);
  // 16-bit linear RGBA.
  std::vector<std::uint16_t> wide(800, 65535);
  ExpectLogo(NormalizeLogo(WritePng(20, 10, PNG_FORMAT_LINEAR_RGB_ALPHA, wide.data())), 20, 10);
  // Palette with transparency.
  std::vector<unsigned char> indices(1024);
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i % 2;
  const unsigned char palette[] = {0, 0, 255, 255, 0, 0, 0, 0};  // RGBA entries
  out = ExpectLogo(
      NormalizeLogo(WritePng(32, 32, PNG_FORMAT_RGBA_COLORMAP, indices.data(), palette, 2)), 32,
      32);
  ASSERT_EQ(out.width, 32);
  ExpectNear(out.At(0, 0), 0, 0, 255, 255);
  EXPECT_EQ(out.At(1, 0)[3], 0);
}

TEST(LogoTest, MetadataChunksAreNotCarriedOver) {
  std::string png = WritePng(Solid(300, 300, 0, 128, 0));
  std::string extra = Chunk("tEXt", std::string("Comment") + '\0' + "<script>alert(1)</script>") +
                      Chunk("tIME", std::string("\x07\xe8\x01\x02\x03\x04\x05", 7)) +
                      Chunk("pHYs", std::string("\0\0\x0b\x13\0\0\x0b\x13\x01", 9)) +
                      Chunk("prVt", "private data");
  std::string tagged = WithChunksAfterHeader(png, extra);
  std::vector<std::string> in_types = ChunkTypes(tagged);
  ASSERT_NE(std::find(in_types.begin(), in_types.end(), "tEXt"), in_types.end());
  auto r = NormalizeLogo(tagged);
  ExpectLogo(r, 256, 256);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->find("tEXt"), std::string::npos);
  EXPECT_EQ(r->find("alert"), std::string::npos);
  EXPECT_EQ(r->find("prVt"), std::string::npos);
  EXPECT_EQ(r->find("tIME"), std::string::npos);
  EXPECT_EQ(r->find("pHYs"), std::string::npos);
}

TEST(LogoTest, Jpegs) {
  // Baseline RGB, scaled.
  Pixels out = ExpectLogo(
      NormalizeLogo(WriteJpeg(300, 200, RgbSamples(300, 200, 200, 30, 40), JpegKind::kRgb)), 256,
      171);
  ASSERT_EQ(out.width, 256);
  ExpectNear(out.At(100, 100), 200, 30, 40, 255, 4);
  // Grey.
  std::vector<unsigned char> grey(3072, 150);
  out = ExpectLogo(NormalizeLogo(WriteJpeg(64, 48, grey, JpegKind::kGray)), 64, 48);
  ASSERT_EQ(out.width, 64);
  ExpectNear(out.At(10, 10), 150, 150, 150, 255, 2);
  // Progressive.
  out = ExpectLogo(
      NormalizeLogo(WriteJpeg(100, 80, RgbSamples(100, 80, 20, 200, 90), JpegKind::kProgressive)),
      100, 80);
  ASSERT_EQ(out.width, 100);
  ExpectNear(out.At(50, 40), 20, 200, 90, 255, 4);
  // Adobe CMYK (stored inverted, as Photoshop does): pure red ink-wise = no cyan, full magenta
  // and yellow, no black.
  std::vector<unsigned char> cmyk(6400);
  for (std::size_t i = 0; i < cmyk.size(); i += 4) {
    cmyk[i] = 255, cmyk[i + 1] = 0, cmyk[i + 2] = 0, cmyk[i + 3] = 255;
  }
  std::string cmyk_jpeg = WriteJpeg(40, 40, cmyk, JpegKind::kCmykAdobe);
  out = ExpectLogo(NormalizeLogo(cmyk_jpeg), 40, 40);
  ASSERT_EQ(out.width, 40);
  ExpectNear(out.At(20, 20), 255, 0, 0, 255, 4);
}

TEST(LogoTest, RefusesWhatIsNotAPngOrJpeg) {
  const char* kNot = "the logo must be a PNG or JPEG image";
  ExpectRefused(NormalizeLogo(""), kNot);
  ExpectRefused(NormalizeLogo("hello, world"), kNot);
  ExpectRefused(NormalizeLogo("GIF89a\x01\x00\x01\x00"), kNot);
  ExpectRefused(NormalizeLogo("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), kNot);
  ExpectRefused(NormalizeLogo("\x89PNG"), kNot);  // shorter than the signature
  ExpectRefused(NormalizeLogo("\xff\xd8"), kNot);
  std::mt19937 rng(7);
  std::string noise(5000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  noise[0] = 'x';
  ExpectRefused(NormalizeLogo(noise), kNot);
  // A signature followed by garbage.
  ExpectRefused(NormalizeLogo("\x89PNG\r\n\x1a\n" + noise), "looks like a PNG image");
  ExpectRefused(NormalizeLogo("\xff\xd8\xff" + noise), "looks like a JPEG image");
  ExpectRefused(NormalizeLogo("\xff\xd8\xff"), "looks like a JPEG image");
}

TEST(LogoTest, RefusesFilesOverTheByteLimit) {
  std::string png = WritePng(Solid(8, 8, 1, 2, 3));
  ASSERT_TRUE(NormalizeLogo(png));
  std::string big = png + std::string(1024 * 1024 + 1 - png.size(), '\0');
  ExpectRefused(NormalizeLogo(big), "the logo is larger than 1 MiB");
  big.pop_back();  // exactly 1 MiB: trailing bytes after IEND are ignored
  EXPECT_TRUE(NormalizeLogo(big));
  LogoLimits limits;
  limits.max_bytes = 50;
  ExpectRefused(NormalizeLogo(png, limits), "the logo is larger than 50 bytes");
  limits.max_bytes = 3072;
  ExpectRefused(NormalizeLogo(png + std::string(4000, 'x'), limits), "larger than 3 KiB");
}

TEST(LogoTest, RefusesHugeDimensionsFromTheHeaderAlone) {
  // The pixel data is for a 4x4 image: only the header's claim can trigger the refusal, which
  // shows nothing is decoded or allocated first.
  std::string png = WritePng(Solid(4, 4, 1, 2, 3));
  ExpectRefused(NormalizeLogo(WithPngSize(png, 10000, 10000)),
                "the logo is 10000\u00d710000 pixels; at most 4096 on each side");
  ExpectRefused(NormalizeLogo(WithPngSize(png, 4097, 1)), "4097\u00d71 pixels");
  ExpectRefused(NormalizeLogo(WithPngSize(png, 1, 1000000)), "1\u00d71000000 pixels");
  // libpng itself refuses more than 2^31-1 or 1000000.
  ExpectRefused(NormalizeLogo(WithPngSize(png, 0x7fffffff, 0x7fffffff)), "looks like a PNG");

  std::string jpeg = WriteJpeg(8, 8, RgbSamples(8, 8, 1, 2, 3), JpegKind::kRgb);
  // Patch the frame header (SOF0: FF C0, length, precision, height, width).
  std::size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  std::string huge = jpeg;
  huge[sof + 5] = static_cast<char>(0x27), huge[sof + 6] = static_cast<char>(0x10);  // 10000
  huge[sof + 7] = static_cast<char>(0x27), huge[sof + 8] = static_cast<char>(0x10);
  ExpectRefused(NormalizeLogo(huge), "the logo is 10000\u00d710000 pixels; at most 4096");

  // Real images just over the limit, and a custom limit.
  ExpectRefused(NormalizeLogo(WritePng(Solid(4097, 2, 1, 2, 3))), "4097\u00d72 pixels");
  ExpectRefused(NormalizeLogo(WriteJpeg(4100, 8, RgbSamples(4100, 8, 1, 2, 3), JpegKind::kRgb)),
                "4100\u00d78 pixels");
  LogoLimits limits;
  limits.max_pixels_side = 100;
  ExpectRefused(NormalizeLogo(WritePng(Solid(101, 50, 1, 2, 3)), limits),
                "101\u00d750 pixels; at most 100 on each side");
  EXPECT_TRUE(NormalizeLogo(WritePng(Solid(100, 100, 1, 2, 3)), limits));
}

TEST(LogoTest, LargestAllowedImageDecodes) {
  std::string png = WritePng(Solid(4096, 4096, 9, 8, 7));
  ASSERT_LE(png.size(), 1024u * 1024);
  Pixels out = ExpectLogo(NormalizeLogo(png), 256, 256);
  ASSERT_EQ(out.width, 256);
  ExpectNear(out.At(128, 128), 9, 8, 7, 255);
}

TEST(LogoTest, RefusesTruncatedAndCorruptedPngs) {
  Pixels src = Solid(64, 64, 0, 0, 0);
  std::mt19937 rng(3);
  for (auto& v : src.rgba) v = static_cast<unsigned char>(rng());  // incompressible
  std::string png = WritePng(src);
  ASSERT_TRUE(NormalizeLogo(png));
  // Missing only the IEND trailer: every pixel was read and CRC-checked, so it is accepted.
  EXPECT_TRUE(NormalizeLogo(png.substr(0, png.size() - 12)));
  // Cut inside IHDR, just after it, inside IDAT, inside the last CRC.
  for (std::size_t n : {9ul, 20ul, 33ul, 40ul, png.size() / 2, png.size() - 20, png.size() - 13}) {
    SCOPED_TRACE(n);
    ExpectRefused(NormalizeLogo(png.substr(0, n)), "looks like a PNG image");
  }
  // A flipped bit in the header or the pixel data breaks a CRC.
  std::string bad = png;
  bad[20] ^= 1;
  ExpectRefused(NormalizeLogo(bad), "looks like a PNG image");
  bad = png;
  bad[png.size() / 2] ^= 1;
  ExpectRefused(NormalizeLogo(bad), "looks like a PNG image");
}

TEST(LogoTest, RefusesTruncatedAndCorruptedJpegs) {
  std::vector<unsigned char> samples(18432);
  std::mt19937 rng(4);
  for (auto& v : samples) v = static_cast<unsigned char>(rng());
  for (JpegKind kind : {JpegKind::kRgb, JpegKind::kProgressive}) {
    std::string jpeg = WriteJpeg(96, 64, samples, kind);
    ASSERT_TRUE(NormalizeLogo(jpeg));
    for (std::size_t n : {4ul, 20ul, 200ul, jpeg.size() / 2, jpeg.size() - 2}) {
      SCOPED_TRACE(n);
      ExpectRefused(NormalizeLogo(jpeg.substr(0, n)), "looks like a JPEG image");
    }
  }
  // A bad marker in the middle of the entropy-coded data.
  std::string jpeg = WriteJpeg(96, 64, samples, JpegKind::kRgb);
  std::string bad = jpeg;
  bad[jpeg.size() / 2] = static_cast<char>(0xff);
  bad[jpeg.size() / 2 + 1] = static_cast<char>(0xd9);  // EOI too early
  ExpectRefused(NormalizeLogo(bad), "looks like a JPEG image");
}

TEST(LogoTest, RefusesJpegsWithTooManyScans) {
  // A legal progressive script with 121 scans for a greyscale image: DC and ten AC bands, each
  // sent in 11 successive-approximation steps.
  std::vector<jpeg_scan_info> scans;
  auto add_band = [&](int ss, int se) {
    scans.push_back({1, {0}, ss, se, 0, 10});
    for (int al = 9; al >= 0; --al) scans.push_back({1, {0}, ss, se, al + 1, al});
  };
  add_band(0, 0);
  for (int k = 1; k <= 8; ++k) add_band(k, k);
  add_band(9, 20);
  add_band(21, 63);
  ASSERT_EQ(scans.size(), 121u);
  std::vector<unsigned char> grey(1024);
  std::mt19937 rng(5);
  for (auto& v : grey) v = static_cast<unsigned char>(rng());
  std::string many =
      WriteJpeg(32, 32, grey, JpegKind::kGray, scans.data(), static_cast<int>(scans.size()));
  ExpectRefused(NormalizeLogo(many), "more than 100 progressive scans");
}

// Every prefix of small images, and random byte edits, must be refused or accepted cleanly
// (run under ASan/UBSan to catch leaks and out-of-bounds reads on hostile input).
TEST(LogoTest, MutationsNeverCrash) {
  Pixels src = Solid(24, 24, 0, 0, 0);
  std::mt19937 rng(6);
  for (auto& v : src.rgba) v = static_cast<unsigned char>(rng() % 4 * 60);
  std::vector<std::string> inputs = {
      WritePng(src), WriteJpeg(24, 24, std::vector<unsigned char>(1728, 99), JpegKind::kRgb),
      WriteJpeg(24, 24, std::vector<unsigned char>(1728, 99), JpegKind::kProgressive)};
  for (const std::string& input : inputs) {
    for (std::size_t n = 0; n < input.size(); ++n) {
      auto r = NormalizeLogo(input.substr(0, n));
      if (!r) {
        EXPECT_EQ(r.error().code, Code::kInvalidArgument);
      }
    }
    for (int i = 0; i < 1500; ++i) {
      std::string m = input;
      for (int e = 0; e < 1 + static_cast<int>(rng() % 3); ++e) {
        m[2 + rng() % (m.size() - 2)] = static_cast<char>(rng());
      }
      auto r = NormalizeLogo(m);
      if (r) {
        EXPECT_FALSE(ReadPng(*r).rgba.empty());
      } else {
        EXPECT_EQ(r.error().code, Code::kInvalidArgument);
      }
    }
  }
}

// ---- Campaign pictures (NormalizePicture): JPEG out.

// Decodes a JPEG to RGB (3 bytes a pixel in rgba's first three of four); width 0 on failure.
Pixels ReadJpeg(const std::string& jpeg) {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size());
  Pixels p;
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    jpeg_destroy_decompress(&cinfo);
    return p;
  }
  cinfo.out_color_space = JCS_EXT_RGBA;
  jpeg_start_decompress(&cinfo);
  p.width = static_cast<int>(cinfo.output_width);
  p.height = static_cast<int>(cinfo.output_height);
  p.rgba.resize(static_cast<std::size_t>(p.width) * p.height * 4);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = p.rgba.data() + static_cast<std::size_t>(cinfo.output_scanline) * p.width * 4;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return p;
}

// The JPEG's markers before the scan (0xFFD8 SOI, then 0xFFxx segments), as their second bytes.
std::vector<int> JpegMarkers(const std::string& jpeg) {
  std::vector<int> out;
  std::size_t at = 2;
  while (at + 4 <= jpeg.size() && static_cast<unsigned char>(jpeg[at]) == 0xff) {
    int marker = static_cast<unsigned char>(jpeg[at + 1]);
    out.push_back(marker);
    if (marker == 0xda) break;  // start of scan: entropy-coded data follows
    at += 2 + ((static_cast<unsigned char>(jpeg[at + 2]) << 8) |
               static_cast<unsigned char>(jpeg[at + 3]));
  }
  return out;
}

TEST(PictureTest, LargePhotoIsScaledToTheOutputSideAsAJpeg) {
  std::string png = WritePng(Solid(3000, 2000, 200, 30, 40));
  auto r = NormalizePicture(png);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->width, 1600);
  EXPECT_EQ(r->height, 1067);
  EXPECT_EQ(r->jpeg.substr(0, 3), "\xff\xd8\xff");
  Pixels p = ReadJpeg(r->jpeg);
  ASSERT_EQ(p.width, 1600);
  ASSERT_EQ(p.height, 1067);
  const unsigned char* mid = p.At(800, 500);
  EXPECT_NEAR(mid[0], 200, 3);
  EXPECT_NEAR(mid[1], 30, 3);
  EXPECT_NEAR(mid[2], 40, 3);
  // A smaller picture keeps its size.
  auto small = NormalizePicture(WriteJpeg(640, 360, RgbSamples(640, 360, 1, 2, 3), JpegKind::kRgb));
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(small->width, 640);
  EXPECT_EQ(small->height, 360);
}

TEST(PictureTest, TransparencyIsComposedOverWhite) {
  auto r = NormalizePicture(WritePng(Solid(20, 20, 0, 0, 0, 0)));
  ASSERT_TRUE(r) << r.error().message;
  Pixels p = ReadJpeg(r->jpeg);
  ASSERT_EQ(p.width, 20);
  EXPECT_NEAR(p.At(10, 10)[0], 255, 2);
  EXPECT_NEAR(p.At(10, 10)[2], 255, 2);
}

TEST(PictureTest, NoMetadataOfTheUploadSurvives) {
  std::string jpeg = WriteJpeg(64, 48, RgbSamples(64, 48, 9, 9, 9), JpegKind::kRgb);
  // An EXIF segment (APP1) with a location and a comment (COM), right after SOI.
  std::string exif = std::string("Exif\0\0", 6) + "GPSLatitude 48.8566 secret-place";
  std::string com = "taken at the picket by J. Doe";
  auto segment = [](int marker, const std::string& body) {
    std::size_t len = body.size() + 2;
    return std::string{'\xff', static_cast<char>(marker), static_cast<char>(len >> 8),
                       static_cast<char>(len & 0xff)} +
           body;
  };
  std::string tagged =
      jpeg.substr(0, 2) + segment(0xe1, exif) + segment(0xfe, com) + jpeg.substr(2);
  ASSERT_TRUE(NormalizeLogo(tagged)) << "the tagged file must be readable";
  auto r = NormalizePicture(tagged);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->jpeg.find("secret-place"), std::string::npos);
  EXPECT_EQ(r->jpeg.find("Exif"), std::string::npos);
  EXPECT_EQ(r->jpeg.find("J. Doe"), std::string::npos);
  for (int marker : JpegMarkers(r->jpeg)) {
    EXPECT_TRUE(marker == 0xe0 || marker == 0xdb || marker == 0xc0 || marker == 0xc4 ||
                marker == 0xda)
        << "unexpected marker 0xff" << std::hex << marker;
  }
}

TEST(PictureTest, RefusalsSpeakOfThePicture) {
  auto r = NormalizePicture("GIF89a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().message, "the picture must be a PNG or JPEG image");
  LogoLimits tight = kPictureLimits;
  tight.max_bytes = 100;
  r = NormalizePicture(WritePng(Solid(64, 64, 1, 2, 3)), tight);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("the picture is larger than 100 bytes"), std::string::npos)
      << r.error().message;
  r = NormalizePicture("\xff\xd8\xff garbage");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("the picture looks like a JPEG image"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace undersigned::render
