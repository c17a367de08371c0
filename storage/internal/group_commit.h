// GroupCommitQueue serializes writers and lets one leader commit the work of
// every writer queued behind it in a single synced write (LevelDB's writer
// queue). Concurrent callers therefore share one WAL sync. Internal to
// storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_GROUP_COMMIT_H_
#define VILLAGESYNC_STORAGE_INTERNAL_GROUP_COMMIT_H_

#include <deque>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace villagesync {

// Thread-safe. Groups run one at a time, in arrival order.
class GroupCommitQueue {
 public:
  // One queued unit of work. The caller owns it; `done` is set by the queue.
  struct Job {
    bool done = false;
  };

  // Commits a whole group; runs on the leader's thread with no lock held.
  using CommitFn = std::function<void(const std::vector<Job*>& group)>;

  // `max_group` bounds how many jobs one commit takes.
  GroupCommitQueue(CommitFn commit, size_t max_group);

  // Queues `job` and returns once a leader (possibly this caller) committed
  // the group that holds it.
  void Run(Job* job) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool ReadyToLead(Job* job) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after construction.
  const CommitFn commit_;
  const size_t max_group_;

  absl::Mutex mu_;
  // Guarded by mu_.
  std::deque<Job*> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_GROUP_COMMIT_H_
