#include "server/session_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace villagesync {

SessionLog::SessionLog(Logger* logger) : logger_(logger) {}

void SessionLog::Hello(uint64_t replica, absl::string_view user,
                       absl::string_view role) {
  absl::MutexLock lock(&mu_);
  if (sessions_.size() >= kMaxOpenSessions) DropStaleSessions();
  Session& s = sessions_[replica];
  s = Session();
  s.user = std::string(user);
  s.role = std::string(role);
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
  Session s;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(replica);
    if (it == sessions_.end()) return;  // a pull without Hello: not a session
    it->second.changes_out += changes;
    it->second.bytes_out += bytes;
    if (!done) return;
    s = std::move(it->second);
    sessions_.erase(it);
  }
  if (s.role == "replica" && s.changes_in == 0 && s.changes_out == 0) return;
  logger_->Info("sync", {{"user", s.user},
                         {"replica", absl::StrFormat("%016x", replica)},
                         {"in", absl::StrCat(s.changes_in)},
                         {"out", absl::StrCat(s.changes_out)},
                         {"bytes_in", absl::StrCat(s.bytes_in)},
                         {"bytes_out", absl::StrCat(s.bytes_out)},
                         {"duration_ms", absl::StrCat(absl::ToInt64Milliseconds(
                                             absl::Now() - s.start))}});
}

}  // namespace villagesync
