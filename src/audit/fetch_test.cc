// HttpFetcher against a tiny HTTP/1.1 server on loopback (a thread with POSIX sockets), and the
// two commands end to end over HTTP against the fake log.
#include "audit/fetch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "audit/audit.h"
#include "audit/commands.h"
#include "audit/fake_log.h"

namespace undersigned::audit {
namespace {

using testing::FakeLog;

// Serves each connection on its own thread, keep-alive, GET only; the handler must be
// thread-safe. handler(path) returns the response
// status and body. Stops (and joins) on destruction.
class LoopbackServer {
 public:
  using Handler = std::function<std::pair<int, std::string>(const std::string& path)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      std::abort();
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }

  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  // Waits until fd is readable or the server stops; false when stopping.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      const int n = ::poll(&p, 1, 50);
      if (n > 0) return true;
    }
    return false;
  }

  void Run() {
    std::vector<std::thread> sessions;
    while (WaitReadable(listen_fd_)) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      sessions.emplace_back([this, fd] {
        Serve(fd);
        ::close(fd);
      });
    }
    for (auto& t : sessions) t.join();
  }

  void Serve(int fd) {
    std::string buf;
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!WaitReadable(fd)) return;
        char chunk[4096];
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      const std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      ++requests_;
      // "GET /path HTTP/1.1"
      const size_t sp1 = head.find(' ');
      const size_t sp2 = head.find(' ', sp1 + 1);
      const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
      auto [status, body] = handler_(path);
      std::string out = "HTTP/1.1 " + std::to_string(status) +
                        " X\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nContent-Type: application/octet-stream\r\n\r\n" + body;
      size_t done = 0;
      while (done < out.size()) {
        const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
        if (n <= 0) return;
        done += static_cast<size_t>(n);
      }
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(NormalizeBaseUrl, AcceptsBaseUrlsAndRejectsTheRest) {
  EXPECT_EQ(*NormalizeBaseUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_EQ(*NormalizeBaseUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(*NormalizeBaseUrl("https://example.org/petitions//"), "https://example.org/petitions");
  EXPECT_FALSE(NormalizeBaseUrl("127.0.0.1:8080"));
  EXPECT_FALSE(NormalizeBaseUrl("file:///etc/passwd"));
  EXPECT_FALSE(NormalizeBaseUrl("http://"));
  EXPECT_FALSE(NormalizeBaseUrl("http:///x"));
  EXPECT_FALSE(NormalizeBaseUrl("http://a/?q=1"));
  EXPECT_FALSE(NormalizeBaseUrl("http://a b/"));
}

TEST(HttpFetcher, GetsBodiesMapsStatusesAndKeepsTheConnection) {
  LoopbackServer server([](const std::string& path) -> std::pair<int, std::string> {
    if (path == "/ok") return {200, "hello"};
    if (path == "/binary") return {200, std::string("\0\x01\xff", 3)};
    if (path == "/big") return {200, std::string(5000, 'x')};
    if (path == "/boom") return {500, "internal error"};
    return {404, "not found"};
  });
  HttpFetcherOptions opts;
  opts.max_body_bytes = 4096;
  HttpFetcher fetcher(server.url() + "/", opts);
  auto ok = fetcher.Get("/ok");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, "hello");
  EXPECT_EQ(*fetcher.Get("/binary"), std::string("\0\x01\xff", 3));
  auto missing = fetcher.Get("/missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kNotFound);
  auto boom = fetcher.Get("/boom");
  ASSERT_FALSE(boom);
  EXPECT_EQ(boom.error().code, Code::kUnavailable);
  EXPECT_NE(boom.error().message.find("500"), std::string::npos) << boom.error().message;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(fetcher.Get("/ok"));
  EXPECT_EQ(server.connections(), 1) << "the fetcher did not reuse its connection";
  auto big = fetcher.Get("/big");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Code::kUnavailable);
  EXPECT_NE(big.error().message.find("larger than 4096"), std::string::npos);
  // Still usable after an aborted transfer.
  EXPECT_EQ(*fetcher.Get("/ok"), "hello");
  EXPECT_FALSE(fetcher.Get("no-slash"));
}

TEST(HttpFetcher, ConnectionRefusedIsUnavailable) {
  int port;
  {
    LoopbackServer server([](const std::string&) { return std::make_pair(200, std::string()); });
    port = std::stoi(server.url().substr(server.url().rfind(':') + 1));
  }
  HttpFetcher fetcher("http://127.0.0.1:" + std::to_string(port));
  auto r = fetcher.Get("/log/checkpoint");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  HttpFetcher bad("not a url");
  auto b = bad.Get("/x");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, Code::kInvalidArgument);
}

// The fake log behind a real HTTP server. The handler runs on the server thread; the test
// thread only touches the log while no command runs.
std::pair<int, std::string> Serve(FakeLog& log, const std::string& path) {
  auto r = log.Get(path);
  if (r) return {200, *r};
  return {r.error().code == Code::kNotFound ? 404 : 500, r.error().message};
}

using testing::TempDir;

TEST(Commands, AuditAndVerifyReceiptOverHttp) {
  const std::string a = "0190a1b2-0000-7000-8000-00000000000a";
  FakeLog log;
  log.AddCampaign(a, "alpha");
  for (int i = 0; i < 700; ++i) {
    log.Append(a, i % 7 == 6 ? log::LeafEvent::kWithdraw : log::LeafEvent::kConfirm, "public",
               i == 123 ? "ada.lovelace@example.org" : "");
  }
  std::mutex mu;
  LoopbackServer server([&](const std::string& path) {
    std::lock_guard lock(mu);
    return Serve(log, path);
  });
  TempDir dir;
  AuditCommandOptions opts;
  opts.state_file = dir.File("audit.json");
  std::ostringstream out, err;
  ASSERT_EQ(RunAudit(server.url() + "/", opts, out, err), kExitOk) << out.str() << err.str();
  EXPECT_NE(out.str().find("PASSED"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("trusted on first use"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("state saved to"), std::string::npos) << out.str();
  ASSERT_TRUE(std::filesystem::exists(opts.state_file));
  EXPECT_GE(server.connections(), 2) << "no read-ahead connection was made";

  // Fork the state file: the next audit reports it and exits 1.
  {
    auto state = **LoadAuditState(opts.state_file);
    state.root[0] ^= 1;
    ASSERT_TRUE(SaveAuditState(opts.state_file, state));
  }
  out.str("");
  err.str("");
  EXPECT_EQ(RunAudit(server.url(), opts, out, err), kExitFindings) << out.str();
  EXPECT_NE(out.str().find("fork"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("not updated"), std::string::npos) << out.str();

  // A receipt for leaf 123, then the log grows.
  std::string receipt_file = dir.File("receipt.json");
  {
    std::lock_guard lock(mu);
    std::ofstream(receipt_file) << log::FormatReceipt(log.MakeReceipt(123, log.Size()));
    for (int i = 0; i < 100; ++i) log.Append(a, log::LeafEvent::kConfirm);
  }
  out.str("");
  err.str("");
  // The email is canonicalised as the server does (lower case).
  EXPECT_EQ(RunVerifyReceipt(receipt_file, server.url() + "/", log.key().verifier_key,
                             "Ada.Lovelace@EXAMPLE.org", out, err),
            kExitOk)
      << out.str() << err.str();
  EXPECT_NE(out.str().find("VERIFIED: signature #123 of campaign alpha"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("at size 700; the live log (size 800) is consistent with it"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("(from --key)"), std::string::npos);

  // Without --key the receipt's key is used, and that is said.
  out.str("");
  EXPECT_EQ(RunVerifyReceipt(receipt_file, server.url(), "", "", out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("from the receipt"), std::string::npos) << out.str();

  // Another key, another email, a tampered receipt: exit 1.
  out.str("");
  err.str("");
  EXPECT_EQ(RunVerifyReceipt(receipt_file, server.url(), log::GenerateNoteKey("x")->verifier_key,
                             "", out, err),
            kExitFindings);
  EXPECT_NE(err.str().find("FAILED"), std::string::npos) << err.str();
  err.str("");
  EXPECT_EQ(RunVerifyReceipt(receipt_file, server.url(), "", "bob@example.org", out, err),
            kExitFindings);
  EXPECT_NE(err.str().find("commitment"), std::string::npos) << err.str();
  { std::ofstream(dir.File("garbage.json")) << "{\"format\": \"undersigned-receipt/v1\"}"; }
  err.str("");
  EXPECT_EQ(RunVerifyReceipt(dir.File("garbage.json"), server.url(), "", "", out, err),
            kExitFindings);
  EXPECT_NE(err.str().find("not a valid receipt"), std::string::npos) << err.str();

  // The server is gone: could not check.
  const std::string url = server.url();
  {
    LoopbackServer other([](const std::string&) { return std::make_pair(404, std::string()); });
    err.str("");
    EXPECT_EQ(RunVerifyReceipt(receipt_file, other.url(), "", "", out, err), kExitCannotCheck)
        << err.str();
    err.str("");
    EXPECT_EQ(
        RunAudit(other.url(), AuditCommandOptions{dir.File("other.json"), "", 1000}, out, err),
        kExitCannotCheck)
        << err.str();
    EXPECT_NE(err.str().find("could not audit"), std::string::npos);
  }
}

}  // namespace
}  // namespace undersigned::audit
