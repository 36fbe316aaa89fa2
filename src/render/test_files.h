// What the render tests share to read their output back with command-line tools (poppler's
// pdftotext, pdfinfo, pdftoppm; zbarimg): bytes in a temporary file, a command's output, whether
// a tool is installed, a PDF's text and information. Include only from *_test.cc files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace undersigned::render::test {

// bytes in a new temporary file, removed on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/render_test_XXXXXX";
    int fd = mkstemp(path_.data());
    EXPECT_GE(fd, 0);
    if (fd >= 0) close(fd);
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What command (run by the shell) writes to its standard output.
inline std::string Run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// True if tool is on the PATH.
inline bool Have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null").c_str()) == 0;
}

// The text of a PDF (pdftotext).
inline std::string PdfText(const std::string& pdf) {
  TempFile f(pdf);
  return Run("pdftotext -enc UTF-8 '" + f.path() + "' - 2>/dev/null");
}

// What pdfinfo says of a PDF.
inline std::string PdfInfo(const std::string& pdf) {
  TempFile f(pdf);
  return Run("pdfinfo '" + f.path() + "' 2>&1");
}

// One field of pdfinfo's output ("Pages:           1" -> "1"); "(no KEY)" when absent.
inline std::string InfoField(const std::string& info, const std::string& key) {
  const std::string prefix = key + ":";
  for (std::size_t pos = 0; pos < info.size();) {
    std::size_t eol = info.find('\n', pos);
    if (eol == std::string::npos) eol = info.size();
    const std::string line = info.substr(pos, eol - pos);
    if (line.rfind(prefix, 0) == 0) {
      const std::size_t v = line.find_first_not_of(' ', prefix.size());
      return v == std::string::npos ? std::string() : line.substr(v);
    }
    pos = eol + 1;
  }
  return "(no " + key + ")";
}

}  // namespace undersigned::render::test
