// The commands of the villagesync CLI and the context they run in. RunCli
// (client/cli.cc) parses the command line, then calls one of these; each
// returns OK or the status that decides the exit code. Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_CLI_COMMANDS_H_
#define VILLAGESYNC_CLIENT_INTERNAL_CLI_COMMANDS_H_

#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/internal/cli_args.h"
#include "client/sync_client.h"

namespace villagesync {
namespace cli {

// What a command works with: its output streams and the device directory,
// opened on first use (so a usage error never creates a store). Not
// thread-safe; the streams must outlive it.
class CliContext {
 public:
  // `give_up_at`: the whole command's deadline (--timeout).
  CliContext(std::string store_dir, std::ostream& out, std::ostream& err,
             bool show_progress, absl::Time give_up_at = absl::InfiniteFuture())
      : store_dir_(std::move(store_dir)),
        out_(out),
        err_(err),
        show_progress_(show_progress),
        give_up_at_(give_up_at) {}

  // The client of the device directory, opened on the first call.
  // FAILED_PRECONDITION naming the directory if it was never initialized
  // (nothing is created); other errors as SyncClient::Open returns them.
  absl::StatusOr<SyncClient*> Client();
  // The same, but opens (or creates) any directory: for `init` only.
  absl::StatusOr<SyncClient*> ClientToInitialize();

  // Results go to out(); progress and diagnostics to err().
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  // True if err() is a terminal that should show sync progress.
  bool show_progress() const { return show_progress_; }

  // Options for calls to the server: the command's deadline and, on a
  // terminal, a line as soon as the server does not answer.
  SyncOptions CallOptions();

 private:
  // Immutable after construction.
  const std::string store_dir_;
  std::ostream& out_;
  std::ostream& err_;
  const bool show_progress_;
  const absl::Time give_up_at_;

  std::unique_ptr<SyncClient> client_;
};

// Each command receives its parsed arguments with the positional count
// already checked (see the table in cli.cc). Usage errors are returned as
// UsageError; other failures with the code that says what went wrong
// (RunCli maps codes to exit codes).

// Local store (record_commands.cc).
absl::Status RunPut(CliContext& ctx, const ParsedArgs& args);
absl::Status RunGet(CliContext& ctx, const ParsedArgs& args);
absl::Status RunList(CliContext& ctx, const ParsedArgs& args);
absl::Status RunDelete(CliContext& ctx, const ParsedArgs& args);

// Server (server_commands.cc).
absl::Status RunInit(CliContext& ctx, const ParsedArgs& args);
absl::Status RunSync(CliContext& ctx, const ParsedArgs& args);
absl::Status RunStatus(CliContext& ctx, const ParsedArgs& args);
absl::Status RunAddUser(CliContext& ctx, const ParsedArgs& args);
absl::Status RunRevokeUser(CliContext& ctx, const ParsedArgs& args);
absl::Status RunListUsers(CliContext& ctx, const ParsedArgs& args);
absl::Status RunSchemaList(CliContext& ctx, const ParsedArgs& args);
absl::Status RunSchemaShow(CliContext& ctx, const ParsedArgs& args);
// --region, when given, must be a village code or its first digits: a
// usage error naming the flag otherwise (before any server is asked).
absl::Status CheckRegionFlag(const ParsedArgs& args);

absl::Status RunListDevices(CliContext& ctx, const ParsedArgs& args);
absl::Status RunDecommissionDevice(CliContext& ctx, const ParsedArgs& args);
absl::Status RunShowUser(CliContext& ctx, const ParsedArgs& args);
absl::Status RunSetUser(CliContext& ctx, const ParsedArgs& args);
absl::Status RunRotateToken(CliContext& ctx, const ParsedArgs& args);
absl::Status RunAudit(CliContext& ctx, const ParsedArgs& args);
absl::Status RunPeers(CliContext& ctx, const ParsedArgs& args);
absl::Status RunBackup(CliContext& ctx, const ParsedArgs& args);

// The server's conflict inbox (conflict_commands.cc).
absl::Status RunConflictsList(CliContext& ctx, const ParsedArgs& args);
absl::Status RunConflictsShow(CliContext& ctx, const ParsedArgs& args);
absl::Status RunConflictsResolve(CliContext& ctx, const ParsedArgs& args);

// The county report and its rule table (report_commands.cc).
absl::Status RunReport(CliContext& ctx, const ParsedArgs& args);
absl::Status RunRulesList(CliContext& ctx, const ParsedArgs& args);
absl::Status RunRulesSet(CliContext& ctx, const ParsedArgs& args);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_CLI_COMMANDS_H_
