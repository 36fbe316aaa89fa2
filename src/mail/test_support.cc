#include "mail/test_support.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace undersigned::mail::testing {
namespace fs = std::filesystem;

std::string TestdataDir() { return MAIL_TESTDATA_DIR; }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "mail_test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ListFiles(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file()) continue;
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json ParseEml(const std::string& path) {
  std::string command = "/usr/bin/python3 '" + TestdataDir() + "/parse_eml.py' '" + path + "'";
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return nullptr;
  std::string output;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  int status = pclose(p);
  if (status != 0) return nullptr;
  return nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
}

int RunCommand(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

int BindLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("bind");
    std::abort();
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

bool CanConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

ClosedPort::ClosedPort() { fd_ = BindLoopback(&port_); }
ClosedPort::~ClosedPort() { ::close(fd_); }

SilentPort::SilentPort() {
  fd_ = BindLoopback(&port_);
  ::listen(fd_, 16);
}
SilentPort::~SilentPort() { ::close(fd_); }

std::unique_ptr<SmtpSink> SmtpSink::Start(const std::string& dir,
                                          const std::vector<std::string>& extra_args, int port) {
  std::vector<std::string> args = {
      "/usr/bin/python3",  TestdataDir() + "/smtp_sink.py", "--dir", dir, "--port",
      std::to_string(port)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return nullptr;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    // Child: stdout to the pipe; die with the test process.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(1);
    ::dup2(fds[1], STDOUT_FILENO);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  std::unique_ptr<SmtpSink> sink(new SmtpSink());
  sink->pid_ = pid;
  sink->out_fd_ = fds[0];

  auto line = sink->ReadLine(std::chrono::seconds(15));
  if (!line || line->rfind("ready ", 0) != 0) {
    std::cerr << "smtp_sink.py did not start: " << (line ? *line : "(timeout or exit)") << "\n";
    return nullptr;
  }
  sink->port_ = std::atoi(line->c_str() + 6);
  // "ready" is printed after listen(); still confirm the port answers, with bounded back-off.
  auto delay = std::chrono::milliseconds(5);
  for (int i = 0; i < 20 && !CanConnect(sink->port_); ++i) {
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(200));
  }
  if (!CanConnect(sink->port_)) {
    std::cerr << "smtp_sink.py does not accept connections on port " << sink->port_ << "\n";
    return nullptr;
  }
  return sink;
}

std::optional<std::string> SmtpSink::ReadLine(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out_fd_ < 0) return std::nullopt;
    pollfd pfd{out_fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;  // child exited
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> SmtpSink::NextReceived(std::chrono::milliseconds timeout) {
  auto line = ReadLine(timeout);
  if (!line || line->rfind("received ", 0) != 0) return std::nullopt;
  return line->substr(9);
}

void SmtpSink::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    // Reap; escalate if it does not exit within 5 s.
    for (int i = 0; i < 500; ++i) {
      int status;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
}

SmtpSink::~SmtpSink() { Kill(); }

}  // namespace undersigned::mail::testing
