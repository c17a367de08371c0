#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace villagesync::testing {

namespace {

constexpr int64_t kMaxChunk = 16 * 1024;

enum Direction { kUpload = 0, kDownload = 1 };

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Resolves "host:port" once at Start, so a bad target fails there rather
// than as a silent close of every client.
absl::StatusOr<sockaddr_storage> ResolveTarget(const std::string& target,
                                               socklen_t* len) {
  size_t colon = target.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(target.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("target: want host:port, got '", target, "'"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string host = target.substr(0, colon);
  if (getaddrinfo(host.c_str(), target.substr(colon + 1).c_str(), &hints,
                  &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("target: cannot resolve '", host, "'"));
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
  *len = found->ai_addrlen;
  freeaddrinfo(found);
  return addr;
}

// Chunks are relayed as soon as they arrive; Nagle would add its own
// delays on top of the ones the test asked for.
void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Returns the bytes written before EOF or an error (all of `n` on success).
int64_t WriteAll(int fd, const char* data, int64_t n) {
  int64_t done = 0;
  while (done < n) {
    ssize_t w = send(fd, data + done, n - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += w;
  }
  return done;
}

}  // namespace

struct TcpProxy::Impl {
  // One accepted client and its connection to the target.
  struct Conn {
    int client_fd = -1;
    int target_fd = -1;
    // Only the accept thread (and the destructor after it) touch these.
    std::thread upload;
    std::thread download;
    // Guarded by Impl::mu (a nested struct cannot name it).
    bool cut = false;         // Set once; relays stop forwarding.
    bool silenced = false;    // Set once; relays wait until cut.
    bool fds_closed = false;  // No one may shutdown() the fds after this.
    int relays_running = 2;
  };

  // What the cut limits allow of a chunk about to be forwarded.
  struct Budget {
    int64_t allowed = 0;
    bool cut_now = false;  // The limit was reached: cut every connection.
  };

  explicit Impl(TcpProxy* owner) : owner(owner) {}

  absl::Status Listen();
  void AcceptLoop();
  void StartConn(int client_fd, int target_fd);
  void ReapFinished();
  void Stop();

  void Relay(Conn* conn, Direction dir);
  bool Forward(Conn* conn, Direction dir, int to, const char* data, int64_t n);
  int64_t ChunkSize();
  bool WaitWhileStalled(Conn* conn);
  bool SleepUntil(Conn* conn, absl::Time deadline);
  bool Pace(Conn* conn, Direction dir, int64_t n);
  Budget Reserve(Conn* conn, Direction dir, int64_t n);
  void FinishRelay(Conn* conn);
  void CutAll();

  // Immutable after construction.
  TcpProxy* const owner;  // Owns this; its counters are atomics.
  sockaddr_storage target_addr{};
  socklen_t target_len = 0;
  std::string listen_host = "127.0.0.1";
  int listen_fd = -1;
  int port = 0;
  std::thread accept_thread;

  absl::Mutex mu;
  TcpProxy::Link link ABSL_GUARDED_BY(mu);
  // Bytes forwarded (or reserved) per direction since the last SetLink.
  int64_t since_set[2] ABSL_GUARDED_BY(mu) = {0, 0};
  // When the shared link is next free per direction (throttling).
  absl::Time next_free[2] ABSL_GUARDED_BY(mu) = {absl::InfinitePast(),
                                                 absl::InfinitePast()};
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::vector<std::unique_ptr<Conn>> conns ABSL_GUARDED_BY(mu);
};

absl::Status TcpProxy::Impl::Listen() {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (inet_pton(AF_INET, listen_host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen_host: want an IPv4 address, got '", listen_host, "'"));
  }
  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) return ErrnoError("socket");
  socklen_t len = sizeof(addr);
  if (bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return ErrnoError(absl::StrCat("bind ", listen_host, ":0"));
  }
  if (listen(listen_fd, SOMAXCONN) != 0) return ErrnoError("listen");
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoError("getsockname");
  }
  port = ntohs(addr.sin_port);
  return absl::OkStatus();
}

void TcpProxy::Impl::AcceptLoop() {
  while (true) {
    int client = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0 && (errno == EINTR || errno == ECONNABORTED)) continue;
    // shutdown() of the listening socket in Stop() ends accept with EINVAL.
    if (client < 0) return;
    owner->connections_.fetch_add(1);
    int target = socket(target_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (target < 0 || connect(target, reinterpret_cast<sockaddr*>(&target_addr),
                              target_len) != 0) {
      // An unreachable target looks to the client like a closed link.
      if (target >= 0) close(target);
      close(client);
      continue;
    }
    StartConn(client, target);
    ReapFinished();
  }
}

void TcpProxy::Impl::StartConn(int client_fd, int target_fd) {
  SetNoDelay(client_fd);
  SetNoDelay(target_fd);
  auto owned = std::make_unique<Conn>();
  Conn* conn = owned.get();
  conn->client_fd = client_fd;
  conn->target_fd = target_fd;
  {
    absl::MutexLock lock(&mu);
    if (stopping) conn->cut = true;  // Relays will exit at once.
    conns.push_back(std::move(owned));
  }
  conn->upload = std::thread([this, conn] { Relay(conn, kUpload); });
  conn->download = std::thread([this, conn] { Relay(conn, kDownload); });
}

// Joins connections whose relays have ended, so a long test with many
// reconnects does not accumulate threads.
void TcpProxy::Impl::ReapFinished() {
  std::vector<std::unique_ptr<Conn>> done;
  {
    absl::MutexLock lock(&mu);
    auto it = std::stable_partition(
        conns.begin(), conns.end(),
        [](const std::unique_ptr<Conn>& c) { return c->relays_running > 0; });
    std::move(it, conns.end(), std::back_inserter(done));
    conns.erase(it, conns.end());
  }
  for (auto& conn : done) {
    conn->upload.join();
    conn->download.join();
  }
}

void TcpProxy::Impl::Stop() {
  {
    absl::MutexLock lock(&mu);
    stopping = true;
  }
  if (listen_fd >= 0) shutdown(listen_fd, SHUT_RDWR);
  if (accept_thread.joinable()) accept_thread.join();
  if (listen_fd >= 0) close(listen_fd);
  CutAll();
  std::vector<std::unique_ptr<Conn>> all;
  {
    absl::MutexLock lock(&mu);
    all.swap(conns);
  }
  for (auto& conn : all) {
    conn->upload.join();
    conn->download.join();
  }
}

void TcpProxy::Impl::Relay(Conn* conn, Direction dir) {
  int from = dir == kUpload ? conn->client_fd : conn->target_fd;
  int to = dir == kUpload ? conn->target_fd : conn->client_fd;
  char buf[kMaxChunk];
  bool clean_eof = false;
  while (true) {
    ssize_t n = recv(from, buf, ChunkSize(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      clean_eof = n == 0;
      break;
    }
    if (!Forward(conn, dir, to, buf, n)) break;
  }
  if (clean_eof) {
    // Pass the half-close on; the other direction may still have data.
    shutdown(to, SHUT_WR);
  } else {
    // Errors and cuts end both directions, as a broken link would.
    shutdown(from, SHUT_RDWR);
    shutdown(to, SHUT_RDWR);
  }
  FinishRelay(conn);
}

bool TcpProxy::Impl::Forward(Conn* conn, Direction dir, int to,
                             const char* data, int64_t n) {
  if (!WaitWhileStalled(conn)) return false;
  int delay_ms;
  {
    absl::MutexLock lock(&mu);
    delay_ms = link.delay_ms;
  }
  if (delay_ms > 0 &&
      !SleepUntil(conn, absl::Now() + absl::Milliseconds(delay_ms))) {
    return false;
  }
  if (!Pace(conn, dir, n)) return false;
  Budget budget = Reserve(conn, dir, n);
  std::atomic<int64_t>& counter =
      dir == kUpload ? owner->uploaded_ : owner->downloaded_;
  // Counted before the write so that a peer that has read a byte finds it
  // already counted; unwritten bytes are taken back below.
  counter.fetch_add(budget.allowed);
  int64_t written = WriteAll(to, data, budget.allowed);
  counter.fetch_sub(budget.allowed - written);
  if (budget.cut_now) CutAll();
  return !budget.cut_now && written == n;
}

// Smaller chunks when throttled keep pacing smooth instead of bursty.
int64_t TcpProxy::Impl::ChunkSize() {
  absl::MutexLock lock(&mu);
  if (link.bytes_per_second <= 0) return kMaxChunk;
  return std::clamp<int64_t>(link.bytes_per_second / 10, 1, kMaxChunk);
}

bool TcpProxy::Impl::WaitWhileStalled(Conn* conn) {
  absl::MutexLock lock(&mu);
  auto unstalled_or_cut = [this, conn]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return (!link.stalled && !conn->silenced) || conn->cut;
  };
  mu.Await(absl::Condition(&unstalled_or_cut));
  return !conn->cut;
}

// Sleeps that a cut or the destructor interrupts at once.
bool TcpProxy::Impl::SleepUntil(Conn* conn, absl::Time deadline) {
  absl::MutexLock lock(&mu);
  mu.AwaitWithDeadline(absl::Condition(&conn->cut), deadline);
  return !conn->cut;
}

// The link is shared by all connections, as one radio or modem would be:
// each chunk occupies it for n / rate seconds, and the chunk is released
// only when that time has passed, so the rate is never exceeded.
bool TcpProxy::Impl::Pace(Conn* conn, Direction dir, int64_t n) {
  absl::Time done;
  {
    absl::MutexLock lock(&mu);
    if (link.bytes_per_second <= 0) return true;
    absl::Time start = std::max(absl::Now(), next_free[dir]);
    done = start + absl::Seconds(static_cast<double>(n) /
                                 static_cast<double>(link.bytes_per_second));
    next_free[dir] = done;
  }
  return SleepUntil(conn, done);
}

// Trims a chunk to what the cut limit allows. When the limit is reached,
// every open connection is marked cut under the same lock, so no other
// relay slips bytes past the limit before CutAll() shuts the sockets.
TcpProxy::Impl::Budget TcpProxy::Impl::Reserve(Conn* conn, Direction dir,
                                               int64_t n) {
  absl::MutexLock lock(&mu);
  Budget budget;
  if (conn->cut) return budget;
  int64_t& limit = dir == kUpload ? link.cut_after_upload_bytes
                                  : link.cut_after_download_bytes;
  budget.allowed = limit > 0 ? std::min(n, limit - since_set[dir]) : n;
  since_set[dir] += budget.allowed;
  if (limit > 0 && since_set[dir] >= limit) {
    limit = 0;
    budget.cut_now = true;
    for (auto& c : conns) c->cut = true;
  }
  return budget;
}

// The last relay of a connection closes its sockets; until then the fds
// stay valid for CutAll() to shutdown() without racing fd reuse.
void TcpProxy::Impl::FinishRelay(Conn* conn) {
  absl::MutexLock lock(&mu);
  if (--conn->relays_running > 0) return;
  close(conn->client_fd);
  close(conn->target_fd);
  conn->fds_closed = true;
}

void TcpProxy::Impl::CutAll() {
  absl::MutexLock lock(&mu);
  for (auto& conn : conns) {
    conn->cut = true;
    if (conn->fds_closed) continue;
    // shutdown() wakes relays blocked in recv()/send(); the cut flag wakes
    // those sleeping on the link.
    shutdown(conn->client_fd, SHUT_RDWR);
    shutdown(conn->target_fd, SHUT_RDWR);
  }
}

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(
    std::string target, std::string listen_host) {
  std::unique_ptr<TcpProxy> proxy(new TcpProxy());
  proxy->impl_ = std::make_unique<Impl>(proxy.get());
  Impl& impl = *proxy->impl_;
  impl.listen_host = std::move(listen_host);
  absl::StatusOr<sockaddr_storage> addr =
      ResolveTarget(target, &impl.target_len);
  if (!addr.ok()) return addr.status();
  impl.target_addr = *addr;
  absl::Status listening = impl.Listen();
  if (!listening.ok()) return listening;
  impl.accept_thread = std::thread([&impl] { impl.AcceptLoop(); });
  return proxy;
}

// Stopped here, not in ~Impl: the counters the relays update are members
// of this object and must outlive every relay thread.
TcpProxy::~TcpProxy() {
  if (impl_ != nullptr) impl_->Stop();
}

void TcpProxy::SilenceOpen() {
  absl::MutexLock lock(&impl_->mu);
  for (auto& conn : impl_->conns) conn->silenced = true;
}

std::string TcpProxy::address() const {
  return absl::StrCat(impl_->listen_host, ":", impl_->port);
}

void TcpProxy::SetLink(const Link& link) {
  absl::MutexLock lock(&impl_->mu);
  impl_->link = link;
  // Cut limits count from when they are set.
  impl_->since_set[kUpload] = 0;
  impl_->since_set[kDownload] = 0;
}

void TcpProxy::CutAll() { impl_->CutAll(); }

}  // namespace villagesync::testing
