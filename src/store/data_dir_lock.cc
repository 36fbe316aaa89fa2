#include "store/data_dir_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace undersigned::store {
namespace {

// The command line of process pid, as "undersigned serve --data ...", or "" if unreadable.
std::string CommandLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  constexpr std::size_t kMax = 200;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

std::string Errno(const char* what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

}  // namespace

Result<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / kLockFileName).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Code::kInternal, Errno("cannot open the lock file", path));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &fl) != 0) {
    if (errno != EACCES && errno != EAGAIN) {
      Error e{Code::kInternal, Errno("cannot lock", path), {}, 0};
      ::close(fd);
      return Fail(std::move(e));
    }
    struct flock holder {};
    holder.l_type = F_WRLCK;
    holder.l_whence = SEEK_SET;
    std::string who = "another process";
    if (::fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK && holder.l_pid > 0) {
      who = "process " + std::to_string(holder.l_pid);
      if (std::string cmd = CommandLine(holder.l_pid); !cmd.empty()) who += " (" + cmd + ")";
    }
    ::close(fd);
    return Fail(Code::kConflict, "the data directory " + data_dir + " is in use by " + who +
                                     ": only one server may use a data directory; stop that "
                                     "one first, or give this one another --data");
  }
  // The holder's pid, for people looking at the directory.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    Error e{Code::kInternal, Errno("cannot write", path), {}, 0};
    ::close(fd);
    return Fail(std::move(e));
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { ::close(fd_); }

}  // namespace undersigned::store
