// SessionLog writes one line per sync session (SPEC §10): who synced, how
// many changes went in and out, how many bytes, and how long it took. A
// session runs from Hello to the last page of Pull, keyed by replica id. A
// replication peer's round that moved nothing is not logged.
#ifndef VILLAGESYNC_SERVER_SESSION_LOG_H_
#define VILLAGESYNC_SERVER_SESSION_LOG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/logger.h"

namespace villagesync {

// Thread-safe. `logger` must outlive the log.
class SessionLog {
 public:
  explicit SessionLog(Logger* logger);

  // A Hello starts (or restarts) the replica's session.
  void Hello(uint64_t replica, absl::string_view user, absl::string_view role)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Pushed(uint64_t replica, int changes, size_t bytes)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The last page (`done`) ends the session and writes its line.
  void Pulled(uint64_t replica, int changes, size_t bytes, bool done)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Open sessions past this count make Hello drop those older than
  // kStaleSession.
  static constexpr size_t kMaxOpenSessions = 4096;
  static constexpr absl::Duration kStaleSession = absl::Minutes(30);

  void DropStaleSessions() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Session {
    std::string user, role;
    absl::Time start;
    int changes_in = 0, changes_out = 0;
    size_t bytes_in = 0, bytes_out = 0;
  };

  Logger* const logger_;
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_SESSION_LOG_H_
