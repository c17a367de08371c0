#include "client/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "client/internal/cli_args.h"
#include "client/internal/cli_commands.h"
#include "client/internal/cli_help.h"
#include "proto/status_macros.h"

namespace villagesync {
namespace cli {

absl::StatusOr<SyncClient*> CliContext::Client() {
  if (client_ == nullptr) {
    VS_ASSIGN_OR_RETURN(client_, SyncClient::OpenInitialized(store_dir_));
    client_->SetCallOptions(CallOptions());
  }
  return client_.get();
}

absl::StatusOr<SyncClient*> CliContext::ClientToInitialize() {
  if (client_ == nullptr) {
    VS_ASSIGN_OR_RETURN(client_, SyncClient::Open(store_dir_));
    client_->SetCallOptions(CallOptions());
  }
  return client_.get();
}

SyncOptions CliContext::CallOptions() {
  SyncOptions options;
  options.give_up_at = give_up_at_;
  if (show_progress_) {
    options.on_retry = [this](absl::string_view line) {
      err_ << "\r" << line << "\033[K" << std::flush;
    };
  }
  return options;
}

namespace {

constexpr size_t kAnyNumber = SIZE_MAX;

using CommandFn = absl::Status (*)(CliContext&, const ParsedArgs&);

// One command of the table below.
struct Command {
  // The words that select it: "put", "admin users add".
  const char* name;
  const char* help;
  // The positional arguments, for usage errors.
  const char* operands;
  // Its flags; every command also takes --store.
  std::vector<FlagSpec> flags;
  size_t min_operands, max_operands;
  CommandFn run;
  // True if it talks to the server: UNAVAILABLE then means unreachable (3),
  // not a local store failure (1).
  bool remote;
};

const std::vector<Command>& Commands() {
  static const auto* const commands = new std::vector<Command>{
      {"init",
       kInitHelp,
       "no arguments",
       {{"server", true, true},
        {"token", true, false},
        {"token_file", true, false},
        {"ca", true, false},
        {"plaintext", false, false},
        {"tls_server_name", true, false}},
       0,
       0,
       RunInit,
       true},
      {"put",
       kPutHelp,
       "COLLECTION FIELD=VALUE...",
       {{"village", true, true}, {"id", true, false}},
       2,
       kAnyNumber,
       RunPut,
       false},
      {"get",
       kGetHelp,
       "COLLECTION ID",
       {{"village", true, false}, {"json", false, false}},
       2,
       2,
       RunGet,
       false},
      {"list",
       kListHelp,
       "COLLECTION",
       {{"village", true, false}, {"json", false, false}},
       1,
       1,
       RunList,
       false},
      {"delete",
       kDeleteHelp,
       "COLLECTION ID",
       {{"village", true, false}},
       2,
       2,
       RunDelete,
       false},
      {"sync", kSyncHelp, "no arguments", {}, 0, 0, RunSync, true},
      {"status",
       kStatusHelp,
       "no arguments",
       {{"json", false, false}},
       0,
       0,
       RunStatus,
       false},
      {"schema list",
       kSchemaHelp,
       "no arguments",
       {{"json", false, false}},
       0,
       0,
       RunSchemaList,
       false},
      {"schema show",
       kSchemaHelp,
       "COLLECTION",
       {{"json", false, false}},
       1,
       1,
       RunSchemaShow,
       false},
      {"admin users add",
       kAdminHelp,
       "no arguments",
       {{"name", true, true}, {"role", true, true}, {"scope", true, true}},
       0,
       0,
       RunAddUser,
       true},
      {"admin users revoke", kAdminHelp, "NAME", {}, 1, 1, RunRevokeUser, true},
      {"admin users list",
       kAdminHelp,
       "no arguments",
       {{"json", false, false}},
       0,
       0,
       RunListUsers,
       true},
      {"admin users show",
       kAdminHelp,
       "NAME",
       {{"json", false, false}},
       1,
       1,
       RunShowUser,
       true},
      {"admin users set",
       kAdminHelp,
       "no arguments",
       {{"name", true, true}, {"role", true, false}, {"scope", true, false}},
       0,
       0,
       RunSetUser,
       true},
      {"admin users rotate",
       kAdminHelp,
       "NAME",
       {},
       1,
       1,
       RunRotateToken,
       true},
      {"admin devices list",
       kAdminHelp,
       "no arguments",
       {{"region", true, false}, {"json", false, false}},
       0,
       0,
       RunListDevices,
       true},
      {"admin devices decommission",
       kAdminHelp,
       "ID",
       {},
       1,
       1,
       RunDecommissionDevice,
       true},
      {"admin audit",
       kAdminHelp,
       "no arguments",
       {{"since", true, false}, {"json", false, false}},
       0,
       0,
       RunAudit,
       true},
      {"admin backup",
       kAdminHelp,
       "DEST (an absolute path on the server's machine)",
       {},
       1,
       1,
       RunBackup,
       true},
      {"admin peers",
       kAdminHelp,
       "no arguments",
       {{"json", false, false}},
       0,
       0,
       RunPeers,
       true},
      {"conflicts list",
       kConflictsListHelp,
       "no arguments",
       {{"region", true, false},
        {"collection", true, false},
        {"status", true, false},
        {"min-age-days", true, false},
        {"json", false, false}},
       0,
       0,
       RunConflictsList,
       true},
      {"conflicts show",
       kConflictsShowHelp,
       "ID",
       {{"json", false, false}},
       1,
       1,
       RunConflictsShow,
       true},
      {"conflicts resolve",
       kConflictsResolveHelp,
       "ID",
       {{"pick", true, false},
        {"value", true, false},
        {"keep", false, false},
        {"delete", false, false},
        {"reason", true, true}},
       1,
       1,
       RunConflictsResolve,
       true},
      {"report",
       kReportHelp,
       "no arguments",
       {{"region", true, true},
        {"period", true, true},
        {"format", true, false}},
       0,
       0,
       RunReport,
       true},
      {"admin rules list",
       kAdminRulesHelp,
       "no arguments",
       {{"json", false, false}},
       0,
       0,
       RunRulesList,
       true},
      {"admin rules set",
       kAdminRulesHelp,
       "no arguments",
       {{"type", true, true},
        {"cadence", true, true},
        {"min", true, true},
        {"from", true, true},
        {"region", true, false}},
       0,
       0,
       RunRulesSet,
       true},
  };
  return *commands;
}

// True if `args` begin with the space-separated `words`; sets `*count` to
// their number.
bool BeginsWith(absl::Span<const std::string> args, absl::string_view words,
                size_t* count) {
  std::vector<absl::string_view> name = absl::StrSplit(words, ' ');
  if (name.size() > args.size() ||
      !std::equal(name.begin(), name.end(), args.begin())) {
    return false;
  }
  *count = name.size();
  return true;
}

// The command whose words begin `args` (setting `*words` to their number),
// or null.
const Command* FindCommand(absl::Span<const std::string> args, size_t* words) {
  for (const Command& command : Commands()) {
    if (BeginsWith(args, command.name, words)) return &command;
  }
  return nullptr;
}

int ExitCodeFor(const absl::Status& status, bool remote) {
  if (status.ok()) return kExitOk;
  if (IsUsageError(status)) return kExitUsage;
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitRefused;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return remote ? kExitUnreachable : kExitFailed;
    default:
      return kExitFailed;
  }
}

// Prints `status` (if not OK) as the error of `command` ("" before a command
// is known) and returns the exit code.
int Finish(std::ostream& err, absl::string_view command,
           const absl::Status& status, bool remote) {
  if (status.ok()) return kExitOk;
  std::string prefix =
      command.empty() ? "villagesync" : absl::StrCat("villagesync ", command);
  err << prefix << ": " << status.message() << "\n";
  if (IsUsageError(status)) {
    err << "Run `" << prefix << " --help` for usage.\n";
  }
  return ExitCodeFor(status, remote);
}

int PrintHelp(std::ostream& out, const char* help) {
  out << help << kExitCodesHelp;
  return kExitOk;
}

// Flags before the command: --store DIR and --help.
struct GlobalArgs {
  std::string store;
  bool help = false;
  bool version = false;
  // --timeout SECONDS: the whole command's deadline.
  absl::Time give_up_at = absl::InfiniteFuture();
  // How many arguments they took.
  size_t consumed = 0;
};

absl::StatusOr<GlobalArgs> ParseGlobal(const std::vector<std::string>& args) {
  GlobalArgs global;
  size_t& i = global.consumed;
  for (; i < args.size() && absl::StartsWith(args[i], "-"); ++i) {
    absl::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      global.help = true;
      continue;
    }
    if (arg == "--version") {
      global.version = true;
      continue;
    }
    if (arg == "--timeout" || absl::StartsWith(arg, "--timeout=")) {
      std::string value =
          arg == "--timeout" && i + 1 < args.size()
              ? args[++i]
              : std::string(absl::StripPrefix(arg, "--timeout="));
      double seconds = 0;
      if (!absl::SimpleAtod(value, &seconds) || seconds <= 0) {
        return UsageError("--timeout needs a number of seconds above 0");
      }
      global.give_up_at = absl::Now() + absl::Seconds(seconds);
      continue;
    }
    if (arg != "--store" && !absl::StartsWith(arg, "--store=")) {
      return UsageError(absl::StrCat("unknown flag ", arg));
    }
    if (!global.store.empty()) return UsageError("--store given twice");
    if (arg == "--store" && i + 1 == args.size()) {
      return UsageError("flag --store needs a value");
    }
    global.store = arg == "--store" ? args[++i] : args[i].substr(8);
  }
  return global;
}

// The store directory from before or after the command, and the operands.
absl::Status CheckCommandLine(const Command& command, const ParsedArgs& args,
                              std::string* store) {
  if (args.Has("store")) {
    if (!store->empty()) return UsageError("--store given twice");
    *store = args.Get("store");
  }
  if (store->empty()) return UsageError("missing --store DIR");
  size_t count = args.positional.size();
  if (count < command.min_operands) {
    return UsageError(absl::StrCat("expected ", command.operands));
  }
  if (count > command.max_operands) {
    return UsageError(absl::StrCat("unexpected argument \"",
                                   args.positional[command.max_operands],
                                   "\" (expected ", command.operands, ")"));
  }
  return absl::OkStatus();
}

int RunCommand(const Command& command, std::string store,
               absl::Span<const std::string> args, std::ostream& out,
               std::ostream& err, bool show_progress, absl::Time give_up_at) {
  std::vector<FlagSpec> flags = command.flags;
  flags.push_back({"store", true, false});
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, flags);
  absl::Status usage = parsed.ok() ? CheckCommandLine(command, *parsed, &store)
                                   : parsed.status();
  if (!usage.ok()) return Finish(err, command.name, usage, false);
  CliContext context(store, out, err, show_progress, give_up_at);
  return Finish(err, command.name, command.run(context, *parsed),
                command.remote);
}

// The first words of several commands, none by itself: alone they ask for
// help. More words first (`admin rules` before `admin`).
struct CommandGroup {
  const char* name;
  const char* help;
  const char* expected;
};

const CommandGroup kCommandGroups[] = {
    {"admin rules", kAdminRulesHelp,
     "expected `admin rules list` or `admin rules set ...`"},
    {"admin", kAdminHelp,
     "expected `admin users add ...`, `admin users revoke NAME`, `admin "
     "users list`, `admin users show NAME`, `admin users set ...`, `admin "
     "users rotate NAME`, `admin devices list`, `admin devices "
     "decommission ID`, `admin audit`, `admin peers`, `admin backup "
     "DEST`, `admin rules list` or `admin rules set ...`"},
    {"schema", kSchemaHelp,
     "expected `schema list` or `schema show COLLECTION`"},
    {"conflicts", kConflictsHelp,
     "expected `conflicts list`, `conflicts show ID` or `conflicts resolve "
     "ID ...`"},
};

// `args` name no command: a command group alone asks for help, anything
// else is a usage error.
int NoSuchCommand(absl::Span<const std::string> args, bool help,
                  std::ostream& out, std::ostream& err) {
  size_t words = 0;
  for (const CommandGroup& group : kCommandGroups) {
    if (!BeginsWith(args, group.name, &words)) continue;
    if (help || WantsHelp(args)) return PrintHelp(out, group.help);
    return Finish(err, group.name, UsageError(group.expected), false);
  }
  return Finish(err, "",
                UsageError(absl::StrCat("unknown command \"", args[0], "\"")),
                false);
}

int Run(const std::vector<std::string>& args, std::ostream& out,
        std::ostream& err, bool show_progress) {
  absl::StatusOr<GlobalArgs> global = ParseGlobal(args);
  if (!global.ok()) return Finish(err, "", global.status(), false);
  if (global->version) {
    out << "villagesync " << VILLAGESYNC_VERSION_STRING << "\n";
    return kExitOk;
  }
  absl::Span<const std::string> rest =
      absl::MakeConstSpan(args).subspan(global->consumed);
  if (rest.empty()) {
    if (global->help) return PrintHelp(out, kMainHelp);
    return Finish(err, "", UsageError("missing command"), false);
  }
  size_t words = 0;
  const Command* command = FindCommand(rest, &words);
  if (command == nullptr) return NoSuchCommand(rest, global->help, out, err);
  rest = rest.subspan(words);
  if (global->help || WantsHelp(rest)) return PrintHelp(out, command->help);
  return RunCommand(*command, global->store, rest, out, err, show_progress,
                    global->give_up_at);
}

}  // namespace
}  // namespace cli

int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err) {
  // Progress redraws one terminal line; in a pipe or a log it is noise.
  bool show_progress = &err == &std::cerr && isatty(STDERR_FILENO) == 1;
  return cli::Run(args, out, err, show_progress);
}

}  // namespace villagesync
