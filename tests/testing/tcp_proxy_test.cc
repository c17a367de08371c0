#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace villagesync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Le;

// Listens on 127.0.0.1:0 and echoes every connection back to its sender,
// counting the bytes it received. Thread-safe.
class EchoServer {
 public:
  EchoServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len);
    listen(listen_fd_, SOMAXCONN);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~EchoServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    close(listen_fd_);
    {
      absl::MutexLock lock(&mu_);
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : echo_threads_) t.join();
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int64_t received() const { return received_.load(); }

  // True once `n` connections have ended, false after `timeout`.
  bool WaitForClosed(int n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

 private:
  void AcceptLoop() {
    while (true) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0 && errno == EINTR) continue;
      if (fd < 0) return;
      {
        absl::MutexLock lock(&mu_);
        open_fds_.push_back(fd);
      }
      echo_threads_.emplace_back([this, fd] { Echo(fd); });
    }
  }

  void Echo(int fd) {
    char buf[8192];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
      received_.fetch_add(n);
      if (send(fd, buf, n, MSG_NOSIGNAL) != n) break;
    }
    absl::MutexLock lock(&mu_);
    open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
    close(fd);
    ++closed_;
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::vector<std::thread> echo_threads_;  // Accept thread, then destructor.
  std::atomic<int64_t> received_{0};
  absl::Mutex mu_;
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  int closed_ ABSL_GUARDED_BY(mu_) = 0;
};

// A client socket that closes itself; reads time out so no test hangs.
class Client {
 public:
  explicit Client(const std::string& address) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port = 0;
    size_t colon = address.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    bool parsed = absl::SimpleAtoi(address.substr(colon + 1), &port) &&
                  inet_pton(AF_INET, address.substr(0, colon).c_str(),
                            &addr.sin_addr) == 1;
    addr.sin_port = htons(port);
    connected_ = parsed && connect(fd_, reinterpret_cast<sockaddr*>(&addr),
                                   sizeof(addr)) == 0;
    timeval timeout{3, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~Client() { close(fd_); }

  bool connected() const { return connected_; }

  bool Send(const std::string& data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(data.size());
  }

  // Reads up to `n` bytes, fewer on EOF, error or timeout.
  std::string Read(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += r;
    }
    out.resize(got);
    return out;
  }

  // Sends `data` from another thread while reading as much back, so large
  // payloads cannot deadlock on full socket buffers.
  std::string RoundTrip(const std::string& data) {
    std::thread writer([&] { Send(data); });
    std::string echoed = Read(data.size());
    writer.join();
    return echoed;
  }

  // Reads until the connection ends; false if it is still open after the
  // read timeout. Counts the bytes that arrived meanwhile.
  bool ReadsUntilClosed(int64_t* bytes) {
    char buf[4096];
    while (true) {
      ssize_t r = recv(fd_, buf, sizeof(buf), 0);
      if (r > 0) {
        *bytes += r;
        continue;
      }
      return r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }

  // Whether anything arrives within `wait`.
  bool Readable(absl::Duration wait) {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, absl::ToInt64Milliseconds(wait)) > 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i * 31 % 251);
  return out;
}

TcpProxy::Link Throttled(int64_t bytes_per_second) {
  TcpProxy::Link link;
  link.bytes_per_second = bytes_per_second;
  return link;
}

TcpProxy::Link Delayed(int delay_ms) {
  TcpProxy::Link link;
  link.delay_ms = delay_ms;
  return link;
}

TcpProxy::Link Stalled() {
  TcpProxy::Link link;
  link.stalled = true;
  return link;
}

TcpProxy::Link CutAfterUpload(int64_t bytes) {
  TcpProxy::Link link;
  link.cut_after_upload_bytes = bytes;
  return link;
}

std::unique_ptr<TcpProxy> StartProxy(const EchoServer& echo) {
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
      TcpProxy::Start(echo.address());
  EXPECT_THAT(proxy, IsOk());
  return proxy.ok() ? std::move(*proxy) : nullptr;
}

TEST(TcpProxyTest, BytesPassThroughUnchangedAndAreCounted) {
  EchoServer echo;
  std::unique_ptr<TcpProxy> proxy = StartProxy(echo);
  ASSERT_NE(proxy, nullptr);
  Client client(proxy->address());
  ASSERT_TRUE(client.connected());
  const std::string data = Pattern(200 * 1024);

  EXPECT_EQ(client.RoundTrip(data), data);
  EXPECT_EQ(proxy->uploaded(), 200 * 1024);
  EXPECT_EQ(proxy->downloaded(), 200 * 1024);
  EXPECT_EQ(proxy->connections(), 1);
  EXPECT_EQ(echo.received(), 200 * 1024);
}

TEST(TcpProxyTest, ThrottlingKeepsTheRateAtTheLimit) {
  EchoServer echo;
  std::unique_ptr<TcpProxy> proxy = StartProxy(echo);
  ASSERT_NE(proxy, nullptr);
  proxy->SetLink(Throttled(20000));
  Client client(proxy->address());
  ASSERT_TRUE(client.connected());
  const std::string data = Pattern(40000);

  absl::Time start = absl::Now();
  EXPECT_EQ(client.RoundTrip(data), data);
  // 40 KB at 20 KB/s is 2 s each way (the directions overlap); loose bounds.
  absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(1500));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST(TcpProxyTest, DelayIsAddedInEachDirection) {
  EchoServer echo;
  std::unique_ptr<TcpProxy> proxy = StartProxy(echo);
  ASSERT_NE(proxy, nullptr);
  proxy->SetLink(Delayed(150));
  Client client(proxy->address());
  ASSERT_TRUE(client.connected());

  absl::Time start = absl::Now();
  EXPECT_EQ(client.RoundTrip("ping"), "ping");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
}

TEST(TcpProxyTest, CutAfterUploadBytesDeliversExactlyThatManyThenCloses) {
  EchoServer echo;
  std::unique_ptr<TcpProxy> proxy = StartProxy(echo);
  ASSERT_NE(proxy, nullptr);
  proxy->SetLink(CutAfterUpload(1000));
  Client client(proxy->address());
  ASSERT_TRUE(client.connected());

  // Two sends, so the limit falls inside the second chunk.
  ASSERT_TRUE(client.Send(Pattern(600)));
  ASSERT_EQ(client.Read(600), Pattern(600));
  ASSERT_TRUE(client.Send(Pattern(5000)));
  int64_t echoed = 0;
  EXPECT_TRUE(client.ReadsUntilClosed(&echoed));
  EXPECT_THAT(echoed, Le(400));
  ASSERT_TRUE(echo.WaitForClosed(1, absl::Seconds(3)));
  EXPECT_EQ(echo.received(), 1000);
  EXPECT_EQ(proxy->uploaded(), 1000);

  // The limit disarmed itself: a new connection carries more than 1000.
  Client again(proxy->address());
  const std::string data = Pattern(5000);
  EXPECT_EQ(again.RoundTrip(data), data);
}

TEST(TcpProxyTest, StallHoldsDataUntilUnstalled) {
  EchoServer echo;
  std::unique_ptr<TcpProxy> proxy = StartProxy(echo);
  ASSERT_NE(proxy, nullptr);
  proxy->SetLink(Stalled());
  Client client(proxy->address());
  ASSERT_TRUE(client.connected());

  ASSERT_TRUE(client.Send("held"));
  EXPECT_FALSE(client.Readable(absl::Milliseconds(200)));
  EXPECT_EQ(echo.received(), 0);
  EXPECT_EQ(proxy->uploaded(), 0);

  proxy->SetLink(TcpProxy::Link());
  EXPECT_EQ(client.Read(4), "held");
}

TEST(TcpProxyTest, CutAllClosesOpenConnectionsWhileNewOnesStillWork) {
  EchoServer echo;
  std::unique_ptr<TcpProxy> proxy = StartProxy(echo);
  ASSERT_NE(proxy, nullptr);
  Client first(proxy->address());
  // A round trip proves the proxy has accepted and is relaying it.
  ASSERT_EQ(first.RoundTrip("one"), "one");

  proxy->CutAll();
  int64_t extra = 0;
  EXPECT_TRUE(first.ReadsUntilClosed(&extra));
  EXPECT_EQ(extra, 0);

  Client second(proxy->address());
  EXPECT_EQ(second.RoundTrip("two"), "two");
  EXPECT_EQ(proxy->connections(), 2);
}

// Opens an idle connection and one whose data waits on `link`, destroys
// the proxy and checks that it returned promptly and both clients see EOF.
void ExpectPromptDestruction(const TcpProxy::Link& link) {
  EchoServer echo;
  std::unique_ptr<TcpProxy> proxy = StartProxy(echo);
  ASSERT_NE(proxy, nullptr);
  Client idle(proxy->address());
  ASSERT_EQ(idle.RoundTrip("x"), "x");
  proxy->SetLink(link);
  Client waiting(proxy->address());
  ASSERT_TRUE(waiting.Send("waiting"));

  absl::Time start = absl::Now();
  proxy.reset();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  int64_t bytes = 0;
  EXPECT_TRUE(idle.ReadsUntilClosed(&bytes));
  EXPECT_TRUE(waiting.ReadsUntilClosed(&bytes));
  EXPECT_EQ(bytes, 0);
}

TEST(TcpProxyTest, DestructorReturnsPromptlyWithStalledConnections) {
  ExpectPromptDestruction(Stalled());
}

TEST(TcpProxyTest, DestructorReturnsPromptlyWithConnectionsInALongDelay) {
  ExpectPromptDestruction(Delayed(60000));
}

TEST(TcpProxyTest, DestructorReturnsPromptlyWithConnectionsThrottledHard) {
  ExpectPromptDestruction(Throttled(1));
}

TEST(TcpProxyTest, ListensOnTheHostItIsGiven) {
  EchoServer echo;
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
      TcpProxy::Start(echo.address(), "127.0.0.2");
  ASSERT_THAT(proxy, IsOk());
  EXPECT_THAT((*proxy)->address(), ::testing::StartsWith("127.0.0.2:"));
  Client client((*proxy)->address());
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.RoundTrip("hello"), "hello");
}

TEST(TcpProxyTest, StartRejectsAListenHostThatIsNotAnIpv4Address) {
  EXPECT_THAT(
      TcpProxy::Start("127.0.0.1:1", "localhost"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listen_host")));
}

TEST(TcpProxyTest, StartRejectsATargetWithoutPort) {
  EXPECT_THAT(TcpProxy::Start("127.0.0.1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
}

}  // namespace
}  // namespace villagesync::testing
