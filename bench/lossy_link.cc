#include "bench/lossy_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "bench/child_process.h"
#include "proto/status_macros.h"

namespace villagesync::bench {

namespace {

constexpr int kMtu = 1500;
// Larger than any packet a TUN without GSO hands out, so none is truncated.
constexpr size_t kReadBuffer = 64 * 1024;
// Packets read from one device before deliveries are looked at again.
constexpr int kReadBurst = 64;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Runs an `ip` (or other) command; an error carries the command and its
// output. Our descriptors are all O_CLOEXEC, so the child cannot keep a TUN
// device alive.
absl::Status Run(const std::vector<std::string>& argv) {
  return RunAndCapture(argv, Stderr::kCapture).status();
}

absl::Status WriteFile(const std::string& path, absl::string_view text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(absl::StrCat("open ", path));
  ssize_t n = write(fd, text.data(), text.size());
  int error = errno;
  close(fd);
  errno = error;
  if (n != static_cast<ssize_t>(text.size())) {
    return ErrnoError(absl::StrCat("write ", path));
  }
  return absl::OkStatus();
}

bool IsIpv4(const std::string& address) {
  in_addr parsed;
  return inet_pton(AF_INET, address.c_str(), &parsed) == 1;
}

absl::Status Validate(const LossyLink::Options& o) {
  if (o.netns.empty() || o.netns.find('/') != std::string::npos) {
    return absl::InvalidArgumentError("netns: want a plain name");
  }
  for (const std::string* device : {&o.near_device, &o.far_device}) {
    if (device->empty() || device->size() >= IFNAMSIZ ||
        device->find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("device name '", *device, "': want 1-15 characters"));
    }
  }
  if (o.near_device == o.far_device) {
    return absl::InvalidArgumentError("near and far device names must differ");
  }
  if (!IsIpv4(o.near_address) || !IsIpv4(o.far_address) ||
      o.near_address == o.far_address) {
    return absl::InvalidArgumentError(
        "near_address, far_address: want two different IPv4 addresses");
  }
  if (o.bits_per_second <= 0) {
    return absl::InvalidArgumentError("bits_per_second must be > 0");
  }
  if (o.one_way_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("one_way_delay must be >= 0");
  }
  if (!(o.loss >= 0 && o.loss <= 1)) {
    return absl::InvalidArgumentError("loss must be in [0, 1]");
  }
  if (o.queue_bytes < kMtu) {
    return absl::InvalidArgumentError("queue_bytes must be >= 1500 (the MTU)");
  }
  return absl::OkStatus();
}

// Deletes a root-namespace device of this name if it is a TUN device (a
// leftover); refuses to touch any other kind of device.
absl::Status RemoveStaleDevice(const std::string& name) {
  std::string sys = absl::StrCat("/sys/class/net/", name);
  if (!Exists(sys)) return absl::OkStatus();
  if (!Exists(sys + "/tun_flags")) {
    return absl::FailedPreconditionError(
        absl::StrCat("device ", name, " exists and is not a TUN device"));
  }
  return Run({"ip", "link", "del", "dev", name});
}

absl::Status RemoveStale(const LossyLink::Options& o) {
  if (Exists(absl::StrCat("/var/run/netns/", o.netns))) {
    VS_RETURN_IF_ERROR(Run({"ip", "netns", "del", o.netns}));
  }
  VS_RETURN_IF_ERROR(RemoveStaleDevice(o.near_device));
  return RemoveStaleDevice(o.far_device);
}

// Creates TUN device `name` (IP packets, no packet-info header, no GSO) in
// this thread's network namespace; it lives until the descriptor is closed.
absl::StatusOr<int> OpenTun(const std::string& name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open /dev/net/tun");
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &request) != 0) {
    absl::Status error = ErrnoError(absl::StrCat("TUNSETIFF ", name));
    close(fd);
    return error;
  }
  return fd;
}

absl::Status ConfigureNear(const LossyLink::Options& o) {
  std::string ipv6 =
      absl::StrCat("/proc/sys/net/ipv6/conf/", o.near_device, "/disable_ipv6");
  if (Exists(ipv6)) VS_RETURN_IF_ERROR(WriteFile(ipv6, "1"));
  VS_RETURN_IF_ERROR(Run({"ip", "addr", "add", o.near_address, "peer",
                          o.far_address, "dev", o.near_device}));
  return Run({"ip", "link", "set", "dev", o.near_device, "mtu",
              absl::StrCat(kMtu), "up"});
}

// The far device has already been moved into the namespace.
absl::Status ConfigureFar(const LossyLink::Options& o) {
  VS_RETURN_IF_ERROR(
      Run({"ip", "-n", o.netns, "link", "set", "dev", "lo", "up"}));
  if (Exists("/proc/sys/net/ipv6")) {
    VS_RETURN_IF_ERROR(
        Run({"ip", "netns", "exec", o.netns, "sysctl", "-qw",
             absl::StrCat("net/ipv6/conf/", o.far_device, "/disable_ipv6=1")}));
  }
  VS_RETURN_IF_ERROR(Run({"ip", "-n", o.netns, "addr", "add", o.far_address,
                          "peer", o.near_address, "dev", o.far_device}));
  return Run({"ip", "-n", o.netns, "link", "set", "dev", o.far_device, "mtu",
              absl::StrCat(kMtu), "up"});
}

}  // namespace

// One direction of the link. Only the forwarder thread calls Offer and
// Deliver; the counters are also read by other threads.
struct LossyLink::Direction {
  struct Packet {
    int64_t deliver_ns;
    std::string data;
  };

  Direction(int in, int out, const Options& o, uint32_t index)
      : in_fd(in),
        out_fd(out),
        bits_per_second(o.bits_per_second),
        delay_ns(absl::ToInt64Nanoseconds(o.one_way_delay)),
        queue_bytes(o.queue_bytes),
        lose(o.loss) {
    std::seed_seq seq{static_cast<uint32_t>(o.seed),
                      static_cast<uint32_t>(o.seed >> 32), index};
    rng.seed(seq);
  }

  // Bytes accepted but not yet serialised onto the link at `now`.
  int64_t Backlog(int64_t now) const {
    if (last_departure_ns <= now) return 0;
    double seconds = (last_departure_ns - now) / 1e9;
    return static_cast<int64_t>(seconds * bits_per_second / 8 + 0.5);
  }

  void Offer(const char* data, size_t size, int64_t now, bool cut) {
    absl::MutexLock lock(&mu);
    int64_t bytes = static_cast<int64_t>(size);
    counters.packets++;
    counters.bytes += bytes;
    counters.largest_packet = std::max(counters.largest_packet, bytes);
    if (cut) {
      counters.cut_drops++;
    } else if (lose(rng)) {
      counters.lost++;
    } else if (Backlog(now) + bytes > queue_bytes) {
      counters.queue_drops++;
    } else {
      int64_t serialization = bytes * 8 * 1'000'000'000 / bits_per_second;
      last_departure_ns = std::max(now, last_departure_ns) + serialization;
      queue.push_back({last_departure_ns + delay_ns, std::string(data, size)});
    }
  }

  // Reads up to kReadBurst packets waiting on the sending device.
  void ReadAvailable(char* buffer, bool cut) {
    for (int i = 0; i < kReadBurst; ++i) {
      ssize_t n = read(in_fd, buffer, kReadBuffer);
      if (n <= 0) return;  // EAGAIN: drained.
      Offer(buffer, static_cast<size_t>(n), NowNs(), cut);
    }
  }

  // Writes (or, while cut, drops) every packet due by `now`.
  void Deliver(int64_t now, bool cut) {
    while (!queue.empty() && queue.front().deliver_ns <= now) {
      Packet packet = std::move(queue.front());
      queue.pop_front();
      ssize_t n =
          cut ? 0 : write(out_fd, packet.data.data(), packet.data.size());
      absl::MutexLock lock(&mu);
      if (cut) {
        counters.cut_drops++;
      } else if (n == static_cast<ssize_t>(packet.data.size())) {
        counters.delivered_packets++;
        counters.delivered_bytes += n;
      } else {
        counters.write_errors++;
      }
    }
  }

  int64_t NextDelivery() const {
    return queue.empty() ? kNever : queue.front().deliver_ns;
  }

  const int in_fd;
  const int out_fd;
  const int64_t bits_per_second;
  const int64_t delay_ns;
  const int64_t queue_bytes;
  std::mt19937_64 rng;
  std::bernoulli_distribution lose;
  std::deque<Packet> queue;  // By delivery time (FIFO: the delay is fixed).
  int64_t last_departure_ns = 0;
  mutable absl::Mutex mu;
  Counters counters ABSL_GUARDED_BY(mu);
};

LossyLink::LossyLink(const Options& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<LossyLink>> LossyLink::Create(
    const Options& options) {
  VS_RETURN_IF_ERROR(Validate(options));
  std::unique_ptr<LossyLink> link(new LossyLink(options));
  // On error the destructor removes whatever was made.
  VS_RETURN_IF_ERROR(link->Start());
  return link;
}

absl::Status LossyLink::Start() {
  const Options& o = options_;
  VS_RETURN_IF_ERROR(RemoveStale(o));
  VS_RETURN_IF_ERROR(Run({"ip", "netns", "add", o.netns}));
  netns_created_ = true;
  VS_ASSIGN_OR_RETURN(near_fd_, OpenTun(o.near_device));
  // Made in the root namespace, then moved: the descriptor keeps working.
  VS_ASSIGN_OR_RETURN(far_fd_, OpenTun(o.far_device));
  VS_RETURN_IF_ERROR(
      Run({"ip", "link", "set", "dev", o.far_device, "netns", o.netns}));
  VS_RETURN_IF_ERROR(ConfigureNear(o));
  VS_RETURN_IF_ERROR(ConfigureFar(o));
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return ErrnoError("eventfd");
  to_far_ = std::make_unique<Direction>(near_fd_, far_fd_, o, 0);
  to_near_ = std::make_unique<Direction>(far_fd_, near_fd_, o, 1);
  thread_ = std::thread([this] { Forward(); });
  return absl::OkStatus();
}

LossyLink::~LossyLink() {
  if (thread_.joinable()) {
    stop_.store(true);
    uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
      std::perror("LossyLink: wake forwarder");
    }
    thread_.join();
  }
  // Closing a TUN descriptor deletes its device, in whichever namespace.
  for (int fd : {near_fd_, far_fd_, wake_fd_}) {
    if (fd >= 0) close(fd);
  }
  if (!netns_created_) return;
  absl::Status removed = Run({"ip", "netns", "del", options_.netns});
  if (!removed.ok()) {
    std::fprintf(stderr, "LossyLink: %s\n", removed.ToString().c_str());
  }
}

void LossyLink::Forward() {
  std::vector<char> buffer(kReadBuffer);
  while (!stop_.load()) {
    bool cut = cut_.load();
    int64_t now = NowNs();
    to_far_->Deliver(now, cut);
    to_near_->Deliver(now, cut);
    int64_t next = std::min(to_far_->NextDelivery(), to_near_->NextDelivery());
    timespec timeout{};
    if (next != kNever) {
      int64_t wait = std::max<int64_t>(0, next - NowNs());
      timeout.tv_sec = wait / 1'000'000'000;
      timeout.tv_nsec = wait % 1'000'000'000;
    }
    pollfd fds[] = {
        {near_fd_, POLLIN, 0}, {far_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (ppoll(fds, 3, next == kNever ? nullptr : &timeout, nullptr) < 0) {
      if (errno == EINTR) continue;
      std::perror("LossyLink: ppoll");
      return;
    }
    if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLHUP | POLLNVAL)) {
      std::fprintf(stderr, "LossyLink: a device went away; forwarder stops\n");
      return;
    }
    cut = cut_.load();
    if (fds[0].revents & POLLIN) to_far_->ReadAvailable(buffer.data(), cut);
    if (fds[1].revents & POLLIN) to_near_->ReadAvailable(buffer.data(), cut);
  }
}

LossyLink::Counters LossyLink::to_far() const {
  absl::MutexLock lock(&to_far_->mu);
  return to_far_->counters;
}

LossyLink::Counters LossyLink::to_near() const {
  absl::MutexLock lock(&to_near_->mu);
  return to_near_->counters;
}

std::vector<std::string> LossyLink::FarCommandPrefix() const {
  return {"ip", "netns", "exec", options_.netns};
}

}  // namespace villagesync::bench
