// villagesyncd: the villagesync county server. Parses flags and wires the
// Server together; see README.md.
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/protobuf_log.h"
#include "server/data_dir.h"
#include "server/listen.h"
#include "server/replication_config.h"
#include "server/server.h"

ABSL_FLAG(std::string, data_dir, "villagesync-data",
          "Directory holding the server's records and users (created if "
          "missing).");
ABSL_FLAG(std::string, to, "",
          "For `villagesyncd backup`: the directory to write the copy to (it "
          "must not exist).");
ABSL_FLAG(std::string, peers, "",
          "Replication config: a text-format file of peers (see "
          "docs/peers.example.textproto); empty means no replication.");
ABSL_FLAG(int, max_devices_per_user, villagesync::kDefaultMaxDevicesPerUser,
          "Most devices (replica ids) one user may register; a Hello for one "
          "more fails with RESOURCE_EXHAUSTED. A restored device that takes "
          "a new id counts once more.");
ABSL_FLAG(int, min_free_disk_mb,
          static_cast<int>(villagesync::kDefaultMinFreeDiskBytes >> 20),
          "Refuse pushes (RESOURCE_EXHAUSTED: devices and peers keep their "
          "changes and send them later) while less than this many MiB are "
          "free on the data dir's disk, so that the store never fills it; 0 "
          "checks nothing.");
ABSL_FLAG(std::string, tls_cert, "",
          "TLS certificate chain (PEM) to serve with; with --tls_key.");
ABSL_FLAG(std::string, tls_key, "", "The private key (PEM) of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA (PEM) whose client certificates replication peers must "
          "present (mutual TLS); devices use tokens and need none.");
ABSL_FLAG(bool, allow_plaintext, false,
          "Serve without TLS off loopback (e.g. behind a TLS proxy). Without "
          "it, a non-loopback --listen requires --tls_cert and --tls_key, "
          "since bearer tokens would cross the network in clear text.");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:7480",
          "Address of the operator HTTP endpoint (/metrics for Prometheus, "
          "/healthz, /readyz); TLS with --tls_cert when given. Empty: none.");
ABSL_FLAG(std::string, log_format, "text",
          "Log lines as `text` (time, level, event, key=value) or `json` (one "
          "object per line, for log shippers).");
ABSL_FLAG(std::string, time_zone, "Asia/Shanghai",
          "The IANA time zone in which reports show their times (county "
          "offices read local time).");
ABSL_FLAG(std::string, listen, "127.0.0.1:7443",
          "Address to serve gRPC on; port 0 picks a free port. Without TLS, "
          "keep it on loopback or a trusted network.");

namespace {

constexpr char kUsage[] =
    "the villagesync county server.\n"
    "\n"
    "  villagesyncd bootstrap --data_dir DIR\n"
    "      Creates DIR and its first admin user; prints the admin token on\n"
    "      stdout, once. Run it before the first start.\n"
    "  villagesyncd backup --data_dir DIR --to DEST\n"
    "      Copies DIR to DEST (created) while no server runs on DIR; while "
    "one\n"
    "      does, back up online with `villagesync admin backup DEST`.\n"
    "      Restoring is copying DEST back as the data dir.\n"
    "  villagesyncd recover --data_dir DIR\n"
    "      For a server that refuses to start because its write-ahead log is\n"
    "      damaged: keeps every write before the damage, drops the rest, and\n"
    "      says what was lost and which devices send it again. The damaged\n"
    "      log files are kept under DIR/damaged-log-<time>.\n"
    "  villagesyncd --data_dir DIR [--listen 127.0.0.1:7443] [--peers FILE]\n"
    "               [--tls_cert FILE --tls_key FILE [--tls_client_ca FILE]]\n"
    "               [--allow_plaintext] [--max_devices_per_user N]\n"
    "               [--http_listen 127.0.0.1:7480] [--log_format text|json]\n"
    "               [--min_free_disk_mb 128] [--time_zone Asia/Shanghai]\n"
    "      Serves SyncService, AdminService and gRPC health until SIGTERM or\n"
    "      SIGINT, then drains calls in flight and exits 0.\n"
    "\n"
    "Exit codes: 0 ok; 1 cannot start (message on stderr); 2 bad usage.";

int RunBootstrap(const std::string& data_dir) {
  absl::StatusOr<std::string> token = villagesync::Bootstrap(data_dir);
  if (!token.ok()) {
    std::cerr << "villagesyncd bootstrap: " << token.status().message() << "\n";
    return 1;
  }
  std::cout << *token << std::endl;
  std::cerr << "villagesyncd: created user \"admin\" (role admin, all regions) "
               "in "
            << data_dir << "; the token above is shown only once.\n";
  return 0;
}

int RunBackup(const std::string& data_dir, const std::string& destination) {
  if (destination.empty()) {
    std::cerr << "villagesyncd backup: --to DIR is required\n";
    return 2;
  }
  absl::StatusOr<uint64_t> bytes =
      villagesync::BackupOffline(data_dir, destination);
  if (!bytes.ok()) {
    std::cerr << "villagesyncd backup: " << bytes.status().message() << "\n";
    return 1;
  }
  std::cout << "backup of " << data_dir << " written to " << destination << " ("
            << *bytes << " bytes)" << std::endl;
  return 0;
}

void PrintRecovery(const std::string& data_dir,
                   const villagesync::DataDirRecovery& recovery) {
  const villagesync::RecoveryReport& report = recovery.report;
  std::cout << "damage: " << report.damage << "\n"
            << "kept every write before the damage; the log files as found "
               "are in "
            << report.saved_to << "\n"
            << "lost: " << report.records_lost
            << " records written after the damage, and "
            << report.unreadable_entries
            << " damaged log entries that cannot be read\n";
  if (report.writers.empty()) {
    std::cout << "no writer lost writes\n";
  } else {
    std::cout << "writes lost, by writer (devices and peers send theirs again "
                 "at their next sync):\n";
  }
  for (size_t i = 0; i < report.writers.size(); ++i) {
    const villagesync::LostWrites& w = report.writers[i];
    std::cout << "  " << absl::StrCat(absl::Hex(w.replica, absl::kZeroPad16));
    if (recovery.owners[i].empty()) {
      std::cout << " (a peer, this server, or an unregistered device)";
    } else {
      std::cout << " (device of user " << recovery.owners[i] << ")";
    }
    std::cout << ": writes " << w.kept_counter + 1 << " to at least "
              << w.lost_up_to << "\n";
  }
  std::cout << "start the server again: villagesyncd --data_dir " << data_dir
            << std::endl;
}

int RunRecover(const std::string& data_dir) {
  absl::StatusOr<villagesync::DataDirRecovery> recovery =
      villagesync::RecoverDataDir(data_dir, absl::Now());
  if (!recovery.ok()) {
    std::cerr << "villagesyncd recover: " << recovery.status().message()
              << "\n";
    return 1;
  }
  PrintRecovery(data_dir, *recovery);
  return 0;
}

int RunServer(const std::string& data_dir, const std::string& listen,
              const std::string& peers, int max_devices_per_user) {
  // A closed stderr (a log reader that went away) must not kill the server.
  signal(SIGPIPE, SIG_IGN);
  // Block the stop signals before any thread starts, then wait for one here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  villagesync::ServerOptions options;
  options.data_dir = data_dir;
  options.listen = listen;
  options.max_devices_per_user = max_devices_per_user;
  options.min_free_disk_bytes =
      static_cast<uint64_t>(absl::GetFlag(FLAGS_min_free_disk_mb)) << 20;
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.allow_plaintext = absl::GetFlag(FLAGS_allow_plaintext);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.time_zone = absl::GetFlag(FLAGS_time_zone);
  if (!villagesync::ParseLogFormat(absl::GetFlag(FLAGS_log_format),
                                   &options.log_format)) {
    std::cerr << "villagesyncd: --log_format must be text or json\n";
    return 2;
  }
  if (!peers.empty()) {
    auto config = villagesync::LoadReplicationConfig(peers);
    if (!config.ok()) {
      std::cerr << "villagesyncd: --peers " << peers << ": "
                << config.status().message() << "\n";
      return 1;
    }
    options.replication = *config;
  }
  auto server = villagesync::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "villagesyncd: " << server.status().message() << "\n";
    return 1;
  }
  int signal = 0;
  sigwait(&stop, &signal);
  (*server)->logger().Info("stopping", {{"signal", strsignal(signal)}});
  (*server)->Shutdown();
  return 0;
}

// villagesyncd's own flags (absl adds its --help family and --flagfile),
// sorted by name.
std::vector<absl::CommandLineFlag*> OwnFlags() {
  std::vector<absl::CommandLineFlag*> own;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename() == __FILE__) own.push_back(flag);
  }
  std::sort(own.begin(), own.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  return own;
}

// `text` as lines of at most 78 columns, each indented by 6 spaces.
std::string Indented(absl::string_view text) {
  std::string out, line = "     ";
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() + 1 + word.size() > 78) {
      absl::StrAppend(&out, line, "\n");
      line = "     ";
    }
    absl::StrAppend(&line, " ", word);
  }
  return absl::StrCat(out, line, "\n");
}

void PrintHelp() {
  std::cout << "villagesyncd: " << kUsage << "\nFlags:\n";
  for (const absl::CommandLineFlag* flag : OwnFlags()) {
    std::cout << "  --" << flag->Name() << " (default \""
              << flag->DefaultValue() << "\")\n"
              << Indented(flag->Help());
  }
}

// Flags absl's parser handles itself (FindCommandLineFlag does not know
// them).
constexpr absl::string_view kAbslFlags[] = {
    "version",  "helpfull", "helpshort",  "helppackage", "only_check_args",
    "flagfile", "fromenv",  "tryfromenv", "undefok"};

// A flag absl would reject (it exits 1 on those; bad usage here is 2): its
// message, or "" if every flag is known and its value parses.
std::string BadFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      continue;
    }
    size_t equals = arg.find('=');
    absl::string_view name = arg.substr(0, equals);
    if (std::find(std::begin(kAbslFlags), std::end(kAbslFlags), name) !=
        std::end(kAbslFlags)) {
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::ConsumePrefix(&name, "no")) {
      flag = absl::FindCommandLineFlag(name);
      if (flag != nullptr && flag->IsOfType<bool>()) continue;
      flag = nullptr;
    }
    if (flag == nullptr) return absl::StrCat("unknown flag --", arg);
    if (equals == absl::string_view::npos) {
      if (flag->IsOfType<bool>()) continue;
      if (i + 1 == argc) return absl::StrCat("--", name, " needs a value");
      ++i;  // the value is the next argument
    }
    std::string value = equals == absl::string_view::npos
                            ? std::string(argv[i])
                            : std::string(arg.substr(equals + 1));
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::StrCat("--", name, ": ", error);
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig usage;
  usage.version_string = [] {
    return std::string("villagesyncd " VILLAGESYNC_VERSION_STRING "\n");
  };
  // File names as compiled, so that OwnFlags finds this file's flags.
  usage.normalize_filename = [](absl::string_view name) {
    return std::string(name);
  };
  absl::SetFlagsUsageConfig(usage);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      PrintHelp();
      return 0;
    }
  }
  if (std::string bad = BadFlag(argc, argv); !bad.empty()) {
    std::cerr << "villagesyncd: " << bad
              << "\nRun `villagesyncd --help` for usage.\n";
    return 2;
  }
  villagesync::QuietProtobufUtf8Errors();
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (args.size() == 2 && std::string(args[1]) == "bootstrap") {
    return RunBootstrap(data_dir);
  }
  if (args.size() == 2 && std::string(args[1]) == "backup") {
    return RunBackup(data_dir, absl::GetFlag(FLAGS_to));
  }
  if (args.size() == 2 && std::string(args[1]) == "recover") {
    return RunRecover(data_dir);
  }
  if (args.size() != 1) {
    // After a command, the first word too many; else the word itself.
    std::string first = args[1];
    bool command =
        first == "bootstrap" || first == "backup" || first == "recover";
    std::cerr << "villagesyncd: unexpected argument \""
              << (command ? args[2] : args[1])
              << "\" (expected bootstrap, backup, recover or none)\nRun "
                 "`villagesyncd --help` for usage.\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_min_free_disk_mb) < 0) {
    std::cerr << "villagesyncd: --min_free_disk_mb must not be negative\n";
    return 2;
  }
  std::string http_listen = absl::GetFlag(FLAGS_http_listen);
  for (absl::Status address :
       {villagesync::ParseListen(absl::GetFlag(FLAGS_listen), "--listen")
            .status(),
        http_listen.empty()
            ? absl::OkStatus()
            : villagesync::ParseListen(http_listen, "--http_listen")
                  .status()}) {
    if (!address.ok()) {
      std::cerr << "villagesyncd: " << address.message()
                << "\nRun `villagesyncd --help` for usage.\n";
      return 2;
    }
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(absl::GetFlag(FLAGS_time_zone), &zone)) {
    std::cerr << "villagesyncd: --time_zone: cannot load \""
              << absl::GetFlag(FLAGS_time_zone)
              << "\" (an IANA name such as Asia/Shanghai)\nRun "
                 "`villagesyncd --help` for usage.\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_max_devices_per_user) < 1) {
    std::cerr << "villagesyncd: --max_devices_per_user must be at least 1\n";
    return 2;
  }
  return RunServer(data_dir, absl::GetFlag(FLAGS_listen),
                   absl::GetFlag(FLAGS_peers),
                   absl::GetFlag(FLAGS_max_devices_per_user));
}
