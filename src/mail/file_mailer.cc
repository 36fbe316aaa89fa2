#include "mail/file_mailer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace undersigned::mail {
namespace {

std::string FileTimestamp(UnixTime t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Error IoError(const std::string& what, int err) {
  return Error{Code::kUnavailable, "eml: " + what + ": " + std::strerror(err), {}, 0};
}

// Writes data to path durably: the bytes and the file are on disk when this returns.
Result<void> WriteFileSynced(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return Fail(IoError("cannot create file", errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Fail(IoError("write failed", err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return Fail(IoError("fsync failed", err));
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return Fail(IoError("close failed", err));
  }
  return {};
}

}  // namespace

std::string FirstLink(std::string_view text) {
  std::size_t best = std::string_view::npos;
  for (std::string_view scheme : {"https://", "http://"}) {
    best = std::min(best, text.find(scheme));
  }
  if (best == std::string_view::npos) return "";
  std::size_t end = best;
  while (end < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[end]);
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\'' || c == ')' ||
        c == ']') {
      break;
    }
    ++end;
  }
  // A sentence-ending period or comma is not part of the link.
  while (end > best && (text[end - 1] == '.' || text[end - 1] == ',')) --end;
  return std::string(text.substr(best, end - best));
}

std::vector<ActionLink> ActionLinks(std::string_view text) {
  std::vector<ActionLink> links;
  while (true) {
    std::string url = FirstLink(text);
    if (url.empty()) break;
    text.remove_prefix(text.find(url) + url.size());
    const std::size_t query = url.find("?t=");
    if (query == std::string::npos) continue;
    const std::size_t slash = url.rfind('/', query);
    ActionLink link{url.substr(slash + 1, query - slash - 1), url};
    if (std::find(links.begin(), links.end(), link) == links.end()) links.push_back(link);
  }
  return links;
}

FileMailer::FileMailer(std::string dir, Clock& clock) : dir_(std::move(dir)), clock_(clock) {}

std::string FileMailer::Describe() const { return "files in " + dir_; }

std::string FileMailer::last_path() const {
  std::lock_guard lock(mu_);
  return last_path_;
}

Result<void> FileMailer::Send(const MailMessage& m) {
  UnixTime now = clock_.Now();
  auto formatted = FormatRfc5322(m, now);
  if (!formatted) return Fail(formatted.error());

  std::string name = FileTimestamp(now) + "-" + RandomHex(8) + ".eml";
  std::string final_path = dir_ + "/" + name;
  std::string temp_path = dir_ + "/.tmp-" + name;
  if (auto ok = WriteFileSynced(temp_path, *formatted); !ok) return ok;
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    return Fail(IoError("rename failed", err));
  }
  // Make the rename itself durable.
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  {
    std::lock_guard lock(mu_);
    last_path_ = final_path;
  }
  // The demo's way to the links: each one-time link, named by what it does.
  std::string links;
  for (const ActionLink& l : ActionLinks(m.text_body)) links += "; " + l.label + ": " + l.url;
  spdlog::info("mail \"{}\" written to {}{}", m.subject, final_path, links);
  return {};
}

}  // namespace undersigned::mail
