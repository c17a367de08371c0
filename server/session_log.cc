#include "server/session_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace villagesync {

SessionLog::SessionLog(Sink sink) : sink_(std::move(sink)) {}

void SessionLog::Hello(uint64_t replica, absl::string_view user) {
  absl::MutexLock lock(&mu_);
  if (sessions_.size() >= kMaxOpenSessions) DropStaleSessions();
  Session& s = sessions_[replica];
  s = Session();
  s.user = std::string(user);
  s.start = absl::Now();
}

void SessionLog::DropStaleSessions() {
  // Sessions whose device never pulled to the end (a cut link) would stay
  // forever: their line is lost, not the server's memory.
  absl::Time cutoff = absl::Now() - kStaleSession;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.start < cutoff) {
      sessions_.erase(it++);
    } else {
      ++it;
    }
  }
}

void SessionLog::Pushed(uint64_t replica, int changes, size_t bytes) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(replica);
  if (it == sessions_.end()) return;  // a push without Hello: not a session
  Session& s = it->second;
  s.changes_in += changes;
  s.bytes_in += bytes;
}

void SessionLog::Pulled(uint64_t replica, int changes, size_t bytes,
                        bool done) {
  std::string line;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(replica);
    if (it == sessions_.end()) return;  // a pull without Hello: not a session
    Session& s = it->second;
    s.changes_out += changes;
    s.bytes_out += bytes;
    if (!done) return;
    line = absl::StrFormat(
        "sync user=%s replica=%016x in=%d out=%d bytes_in=%d bytes_out=%d "
        "duration_ms=%d",
        s.user, replica, s.changes_in, s.changes_out, s.bytes_in, s.bytes_out,
        absl::ToInt64Milliseconds(absl::Now() - s.start));
    sessions_.erase(it);
  }
  sink_(line);
}

}  // namespace villagesync
