#include "storage/internal/group_commit.h"

namespace villagesync {

GroupCommitQueue::GroupCommitQueue(CommitFn commit, size_t max_group)
    : commit_(std::move(commit)), max_group_(max_group) {}

bool GroupCommitQueue::ReadyToLead(Job* job) const {
  return job->done || queue_.front() == job;
}

void GroupCommitQueue::Run(Job* job) {
  mu_.Lock();
  queue_.push_back(job);
  struct Args {
    const GroupCommitQueue* self;
    Job* job;
  } args{this, job};
  mu_.Await(absl::Condition(
      +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return a->self->ReadyToLead(a->job);
      },
      &args));
  if (job->done) {
    mu_.Unlock();
    return;
  }
  // This caller leads: take the queue's head as one group. Jobs arriving
  // meanwhile wait for the next group, which keeps batches forming while the
  // WAL syncs.
  std::vector<Job*> group;
  for (Job* queued : queue_) {
    if (group.size() == max_group_) break;
    group.push_back(queued);
  }
  mu_.Unlock();
  commit_(group);
  mu_.Lock();
  for (size_t i = 0; i < group.size(); ++i) {
    queue_.front()->done = true;
    queue_.pop_front();
  }
  mu_.Unlock();
}

}  // namespace villagesync
