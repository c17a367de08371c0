// Sequencer hands out change-log sequences and dot counters to concurrent
// writers and tells readers how far the log is complete: the highest
// sequence below which every sequence handed out is committed or abandoned.
// Batches may commit out of order; a reader that stops at the complete
// point never steps over a change still in flight. Internal to storage/.
#ifndef VILLAGESYNC_STORAGE_INTERNAL_SEQUENCER_H_
#define VILLAGESYNC_STORAGE_INTERNAL_SEQUENCER_H_

#include <cstdint>
#include <set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace villagesync {

// Thread-safe.
class Sequencer {
 public:
  // Continues after the last sequence and counter persisted.
  Sequencer(uint64_t last_seq, uint64_t last_counter);

  // A new sequence, in flight until Finish.
  uint64_t NextSeq() ABSL_LOCKS_EXCLUDED(mu_);
  // A new dot counter for this replica's own writes.
  uint64_t NextCounter() ABSL_LOCKS_EXCLUDED(mu_);
  // Sets the dot counter to `counter` (a new replica identity starts again
  // at 0; a failed change of identity goes back).
  void SetCounter(uint64_t counter) ABSL_LOCKS_EXCLUDED(mu_);
  // Marks `seqs` committed (or abandoned after a failed write).
  void Finish(const std::vector<uint64_t>& seqs) ABSL_LOCKS_EXCLUDED(mu_);

  // Every sequence at or below this is committed or abandoned.
  uint64_t complete() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t last_counter() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_);
  uint64_t last_counter_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_INTERNAL_SEQUENCER_H_
