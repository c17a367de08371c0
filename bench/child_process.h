// Child processes for peer_bench: the servers under test and the load
// generators it starts (pinned to a core with taskset), what they cost as the
// kernel accounts it (CPU time and peak resident memory from /proc), and
// small helpers for loopback ports. Linux only.
#ifndef VILLAGESYNC_BENCH_CHILD_PROCESS_H_
#define VILLAGESYNC_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace villagesync::bench {

// A running child. Not thread-safe. The destructor kills (SIGKILL) and
// reaps it if it is still running, so no child outlives the harness's scope;
// children also get SIGKILL if the harness itself dies.
class ChildProcess {
 public:
  // Starts `argv` (argv[0] searched in PATH) in `working_dir`, with stdin
  // from /dev/null and stdout and stderr appended to `working_dir`/`log`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& working_dir,
      const std::string& log);
  ~ChildProcess();

  pid_t pid() const { return pid_; }

  // SIGTERM, then waits up to `grace` before SIGKILL; OK if it exited 0.
  absl::Status Stop(absl::Duration grace = absl::Seconds(10));

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
};

// Where a captured command's stderr goes.
enum class Stderr { kPassThrough, kCapture };

// Runs `argv` to completion (killed if the harness dies) and returns what it
// wrote on stdout, and on stderr too with Stderr::kCapture (otherwise that
// goes to the harness's stderr). INTERNAL naming the command, its exit
// status and its output if it did not exit 0.
absl::StatusOr<std::string> RunAndCapture(
    const std::vector<std::string>& argv,
    Stderr stderr_to = Stderr::kPassThrough);

// CPU time (user + system, every thread) the process has used, in
// microseconds (the kernel counts in clock ticks, usually 10 ms).
absl::StatusOr<int64_t> CpuMicros(pid_t pid);
// Resets the process's peak resident set size to its current size.
absl::Status ResetPeakRss(pid_t pid);
// The peak resident set size since start or the last reset, in bytes.
absl::StatusOr<int64_t> PeakRssBytes(pid_t pid);

// A TCP port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<int> PickFreePort();
// Waits until something accepts connections on 127.0.0.1:`port`.
absl::Status WaitForPort(int port, absl::Duration timeout);

}  // namespace villagesync::bench

#endif  // VILLAGESYNC_BENCH_CHILD_PROCESS_H_
