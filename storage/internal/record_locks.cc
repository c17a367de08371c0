#include "storage/internal/record_locks.h"

#include <algorithm>

namespace villagesync {

bool RecordLocks::AllFree(const std::vector<std::string>* keys) const {
  for (const std::string& key : *keys) {
    if (held_.contains(key)) return false;
  }
  return true;
}

RecordLocks::Held RecordLocks::Acquire(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  struct Wanted {
    const RecordLocks* locks;
    const std::vector<std::string>* keys;
  } wanted{this, &keys};
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](Wanted* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return w->locks->AllFree(w->keys);
      },
      &wanted));
  for (const std::string& key : keys) held_.insert(key);
  return Held(this, std::move(keys));
}

void RecordLocks::Release(const std::vector<std::string>& keys) {
  absl::MutexLock lock(&mu_);
  for (const std::string& key : keys) held_.erase(key);
}

}  // namespace villagesync
