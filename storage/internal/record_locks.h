// RecordLocks gives a writer exclusive use of the records it is about to
// read, merge and write, from its first read until its batch is durable.
// A writer takes all its keys at once (or waits), so writers never deadlock,
// and writers with disjoint keys never wait for each other. Internal to
// storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_RECORD_LOCKS_H_
#define VILLAGESYNC_STORAGE_INTERNAL_RECORD_LOCKS_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace villagesync {

// Thread-safe.
class RecordLocks {
 public:
  // Holds a set of keys until destroyed.
  class Held {
   public:
    Held(RecordLocks* locks, std::vector<std::string> keys)
        : locks_(locks), keys_(std::move(keys)) {}
    ~Held() { locks_->Release(keys_); }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

   private:
    RecordLocks* locks_;
    std::vector<std::string> keys_;
  };

  // Blocks until none of `keys` is held by another writer, then holds all of
  // them. Repeated keys are fine.
  Held Acquire(std::vector<std::string> keys) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Release(const std::vector<std::string>& keys) ABSL_LOCKS_EXCLUDED(mu_);
  bool AllFree(const std::vector<std::string>* keys) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  absl::flat_hash_set<std::string> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_RECORD_LOCKS_H_
