#include "storage/internal/sequencer.h"

namespace villagesync {

Sequencer::Sequencer(uint64_t last_seq, uint64_t last_counter)
    : last_seq_(last_seq), last_counter_(last_counter) {}

uint64_t Sequencer::NextSeq() {
  absl::MutexLock lock(&mu_);
  in_flight_.insert(++last_seq_);
  return last_seq_;
}

uint64_t Sequencer::NextCounter() {
  absl::MutexLock lock(&mu_);
  return ++last_counter_;
}

void Sequencer::SetCounter(uint64_t counter) {
  absl::MutexLock lock(&mu_);
  last_counter_ = counter;
}

void Sequencer::Finish(const std::vector<uint64_t>& seqs) {
  absl::MutexLock lock(&mu_);
  for (uint64_t seq : seqs) in_flight_.erase(seq);
}

uint64_t Sequencer::complete() const {
  absl::MutexLock lock(&mu_);
  return in_flight_.empty() ? last_seq_ : *in_flight_.begin() - 1;
}

uint64_t Sequencer::last_counter() const {
  absl::MutexLock lock(&mu_);
  return last_counter_;
}

}  // namespace villagesync
