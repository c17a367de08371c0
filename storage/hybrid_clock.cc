#include "storage/hybrid_clock.h"

#include <algorithm>
#include <chrono>

namespace villagesync {
namespace {

constexpr int64_t kMaxFutureMillis = 24LL * 3600 * 1000;

int64_t SystemMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HybridClock::HybridClock(uint64_t last, WallMillis wall)
    : wall_(wall ? std::move(wall) : WallMillis(SystemMillis)), last_(last) {}

uint64_t HybridClock::FromMillis(int64_t millis) {
  return static_cast<uint64_t>(std::max<int64_t>(millis, 0)) << 16;
}

uint64_t HybridClock::Tick() {
  absl::MutexLock lock(&mu_);
  last_ = std::max(last_ + 1, FromMillis(wall_()));
  return last_;
}

void HybridClock::Observe(uint64_t remote) {
  absl::MutexLock lock(&mu_);
  if (remote <= last_) return;
  if (remote > FromMillis(wall_() + kMaxFutureMillis)) return;
  last_ = remote;
}

uint64_t HybridClock::last() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

}  // namespace villagesync
