// Logger writes villagesyncd's log (SPEC §10, §11): one line per event, with
// an RFC 3339 time (local offset), a level, the event's name and key=value
// fields (logfmt), or one JSON object per line for log shippers
// (--log_format json). Lines go to a sink: standard error, or a test's.
#ifndef VILLAGESYNC_SERVER_LOGGER_H_
#define VILLAGESYNC_SERVER_LOGGER_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace villagesync {

enum class LogLevel { kInfo, kWarning, kError };
enum class LogFormat { kText, kJson };

// One key=value field of a log line.
using LogField = std::pair<absl::string_view, std::string>;

// Thread-safe if the sink is.
class Logger {
 public:
  using Sink = std::function<void(absl::string_view line)>;

  // A null `sink` writes to standard error.
  explicit Logger(Sink sink = nullptr, LogFormat format = LogFormat::kText);

  // Writes one line for `event` with `fields`, at `now` (default: now).
  void Log(LogLevel level, absl::string_view event,
           std::initializer_list<LogField> fields,
           absl::Time now = absl::Now());
  void Info(absl::string_view event, std::initializer_list<LogField> fields) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warn(absl::string_view event, std::initializer_list<LogField> fields) {
    Log(LogLevel::kWarning, event, fields);
  }
  void Error(absl::string_view event, std::initializer_list<LogField> fields) {
    Log(LogLevel::kError, event, fields);
  }

  // Logs `event` at most once per `every`; the next line that gets through
  // says how many were suppressed (field `suppressed`). For events an
  // attacker can repeat at will, such as refused tokens.
  void Limited(LogLevel level, absl::string_view event, absl::Duration every,
               std::initializer_list<LogField> fields) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::string Line(LogLevel level, absl::string_view event,
                   std::initializer_list<LogField> fields, absl::Time now,
                   int suppressed) const;

  // Immutable after construction.
  const Sink sink_;
  const LogFormat format_;

  absl::Mutex mu_;
  absl::Time last_limited_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Parses "text" or "json". False if neither.
bool ParseLogFormat(absl::string_view text, LogFormat* format);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_LOGGER_H_
