// LossyLink: an emulated poor network link between the root network
// namespace and a network namespace it creates, for benchmarks of sync over
// bad links (the kernel here has no netem). Needs root.
//
// Topology: a TUN device `near_device` (address `near_address`) in the root
// namespace and a TUN device `far_device` (address `far_address`) inside the
// namespace `netns`, each a point-to-point /32 route to the other; `lo` is up
// in the namespace. Nothing else is touched: no default route, no other
// device, no forwarding. Run a process at the far end with
// FarCommandPrefix() + its argv; it reaches the root namespace's listeners
// bound to `near_address`.
//
// A forwarder thread carries IP packets between the two devices. Each
// direction, independently and in this order:
//   - while the link is cut, every packet is dropped (also those already
//     queued when their delivery time comes);
//   - a packet is lost with probability `loss` (seeded std::mt19937_64, one
//     stream per direction, so runs with the same traffic repeat);
//   - drop-tail: a packet is dropped if it would make the bytes waiting to be
//     serialised exceed `queue_bytes`;
//   - otherwise it leaves at max(now, previous departure) + size * 8 /
//     bits_per_second and is written to the other device `one_way_delay`
//     after that (monotonic clock).
// Devices have MTU 1500 and IPv6 off (no stray router solicitations); TUN
// devices get no GSO, so every packet read is at most 1500 bytes.
//
// Thread-safety: every method may be called from any thread; the destructor
// must not race with other calls. Destruction stops the thread, removes both
// devices and the namespace's name; processes still running in the namespace
// keep it alive (without devices) until they exit, so end them first.
#ifndef VILLAGESYNC_BENCH_LOSSY_LINK_H_
#define VILLAGESYNC_BENCH_LOSSY_LINK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace villagesync::bench {

class LossyLink {
 public:
  struct Options {
    std::string netns = "vsbench";
    std::string near_device = "vsb0";
    std::string far_device = "vsb1";
    std::string near_address = "10.77.0.1";
    std::string far_address = "10.77.0.2";
    int64_t bits_per_second = 100'000;  // Per direction; must be > 0.
    absl::Duration one_way_delay = absl::Milliseconds(500);
    double loss = 0.10;  // In [0, 1].
    int64_t queue_bytes = 64 * 1024;
    uint64_t seed = 1;
  };

  // Per direction, since Create. A packet offered is, once its delivery time
  // has passed, exactly one of: delivered, lost, queue_drops, cut_drops,
  // write_errors.
  struct Counters {
    int64_t packets = 0;  // Offered: read from the sending device.
    int64_t bytes = 0;
    int64_t delivered_packets = 0;  // Written to the receiving device.
    int64_t delivered_bytes = 0;
    int64_t lost = 0;         // Random loss.
    int64_t queue_drops = 0;  // Drop-tail.
    int64_t cut_drops = 0;    // Dropped while the link was cut.
    int64_t write_errors = 0;
    int64_t largest_packet = 0;  // Bytes; at most the MTU (1500).
  };

  // Creates the namespace and devices (first removing a namespace and root
  // namespace devices of the same names left by an earlier run) and starts
  // the forwarder. Errors name the step that failed; nothing is left behind.
  static absl::StatusOr<std::unique_ptr<LossyLink>> Create(
      const Options& options);
  ~LossyLink();

  LossyLink(const LossyLink&) = delete;
  LossyLink& operator=(const LossyLink&) = delete;

  // While cut, nothing crosses in either direction.
  void SetCut(bool cut) { cut_.store(cut); }
  bool cut() const { return cut_.load(); }

  Counters to_far() const;   // near -> far.
  Counters to_near() const;  // far -> near.
  const Options& options() const { return options_; }

  // argv prefix to run a command at the far end: {"ip", "netns", "exec",
  // netns}.
  std::vector<std::string> FarCommandPrefix() const;

 private:
  struct Direction;  // Queue, random stream and counters of one direction.

  explicit LossyLink(const Options& options);
  absl::Status Start();
  void Forward();

  const Options options_;
  bool netns_created_ = false;
  int near_fd_ = -1;
  int far_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the forwarder to stop.
  std::unique_ptr<Direction> to_far_;
  std::unique_ptr<Direction> to_near_;
  std::atomic<bool> cut_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace villagesync::bench

#endif  // VILLAGESYNC_BENCH_LOSSY_LINK_H_
