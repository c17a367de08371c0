// Real processes for tests: a villagesyncd child that can be killed with
// SIGKILL and restarted, and a program (the villagesync CLI) run to its end
// with its output captured.
#ifndef VILLAGESYNC_TESTS_TESTING_PROCESSES_H_
#define VILLAGESYNC_TESTS_TESTING_PROCESSES_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace villagesync::testing {

// A villagesyncd child process on a data dir. Not thread-safe.
class ServerProcess {
 public:
  // `binary` is the villagesyncd to run.
  explicit ServerProcess(std::string binary) : binary_(std::move(binary)) {}
  ~ServerProcess() { Kill(); }

  // Starts on `listen` with `extra` flags, logging to `log_path`; returns
  // the address it serves, read from its log. FAILED_PRECONDITION with its
  // exit code and log if it exits instead.
  absl::StatusOr<std::string> Start(const std::string& data_dir,
                                    const std::string& listen,
                                    const std::string& log_path,
                                    const std::vector<std::string>& extra = {});

  // SIGKILL, then waits for the child. Idempotent.
  void Kill();

 private:
  const std::string binary_;
  pid_t pid_ = -1;
};

// What a program run to its end did.
struct ProgramResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `binary` with `args` (not including argv[0]), stdin empty, and waits
// for it; stdout and stderr go through files in `scratch_dir`.
ProgramResult RunProgram(const std::string& binary,
                         const std::vector<std::string>& args,
                         const std::string& scratch_dir);

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_PROCESSES_H_
