#include "render/qr.h"

#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace undersigned::render {

Result<QrMatrix> EncodeQr(const std::string& text) {
  if (text.empty()) return Fail(Code::kInvalidArgument, "the QR code's text is empty");
  // 8-bit mode keeps the URL byte for byte (libqrencode's string mode would upper-case nothing
  // but may pick alphanumeric mode for parts of it, which is also fine; 8-bit is simplest).
  errno = 0;
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M),
      QRcode_free);
  if (!code) {
    if (errno == ERANGE) {
      return Fail(Code::kInvalidArgument,
                  "the text is too long for a QR code (" + std::to_string(text.size()) + " bytes)");
    }
    return Fail(Code::kInternal, "libqrencode could not encode the QR code");
  }
  QrMatrix m;
  m.size = code->width;
  m.dark.resize(static_cast<std::size_t>(m.size) * m.size);
  for (std::size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (code->data[i] & 1) != 0;
  return m;
}

}  // namespace undersigned::render
