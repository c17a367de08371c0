// The `villagesync` command-line client (SPEC §10): put, get, list and
// delete on a device's local store (offline), init, sync and status against
// its county server, the conflict inbox, the county report, its rule table
// and user administration. cli_main.cc is its main();
// tests call RunCli directly. `villagesync --help` documents every command.
#ifndef VILLAGESYNC_CLIENT_CLI_H_
#define VILLAGESYNC_CLIENT_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace villagesync {

// The exit codes of the villagesync command (also in its --help text).
enum CliExitCode : int {
  kExitOk = 0,
  // The operation failed: not found, invalid value (naming the field),
  // ambiguous id, not initialized, a store or server error.
  kExitFailed = 1,
  // Bad command line: unknown command or flag, missing or extra argument.
  kExitUsage = 2,
  // The server could not be reached (UNAVAILABLE, DEADLINE_EXCEEDED or
  // ABORTED after the retries): sync incomplete, local edits kept.
  kExitUnreachable = 3,
  // The server refused the token or the action (UNAUTHENTICATED,
  // PERMISSION_DENIED).
  kExitRefused = 4,
};

// Runs one villagesync command; `args` excludes argv[0]. Results go to
// `out`, errors and sync progress to `err`; returns the exit code. Help
// (--help or -h, globally or after a command) goes to `out` and returns 0.
// Sync progress is drawn only when `err` is std::cerr and stderr is a
// terminal. Not thread-safe for the same store directory (the store is
// locked by one process at a time).
int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err);

}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_CLI_H_
