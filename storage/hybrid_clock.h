// HybridClock issues hybrid-logical-clock times (SPEC §4): physical
// milliseconds in the high 48 bits, a logical counter in the low 16. HLC times
// order writes for display and the `lww` policy only, never for causality.
#ifndef VILLAGESYNC_STORAGE_HYBRID_CLOCK_H_
#define VILLAGESYNC_STORAGE_HYBRID_CLOCK_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace villagesync {

// Thread-safe.
class HybridClock {
 public:
  // Returns the wall clock in milliseconds since the epoch.
  using WallMillis = std::function<int64_t()>;

  // Starts after `last` (the last time issued or observed, e.g. persisted).
  // A null `wall` uses the system clock.
  HybridClock(uint64_t last, WallMillis wall);

  // Returns a time greater than every time issued or observed so far.
  uint64_t Tick() ABSL_LOCKS_EXCLUDED(mu_);

  // Takes a remote time into account, so later local writes order after it.
  // Times more than a day ahead of the local wall clock are ignored: a
  // village device with a wrong clock must not drag every replica's clock.
  void Observe(uint64_t remote) ABSL_LOCKS_EXCLUDED(mu_);

  // The last time issued or observed.
  uint64_t last() const ABSL_LOCKS_EXCLUDED(mu_);

  // Packs milliseconds into an HLC time with logical counter zero.
  static uint64_t FromMillis(int64_t millis);

 private:
  // Immutable after construction.
  const WallMillis wall_;

  mutable absl::Mutex mu_;
  uint64_t last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_HYBRID_CLOCK_H_
