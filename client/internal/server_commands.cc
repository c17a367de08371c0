// init, sync, status, admin users and admin audit: the commands about the
// server. status only reads local state; the others talk to the server.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/internal/audit_output.h"
#include "client/internal/cli_commands.h"
#include "client/internal/json.h"
#include "client/internal/value_text.h"
#include "proto/status_macros.h"
#include "storage/durable_file.h"
#include "storage/validation.h"

namespace villagesync {
namespace cli {
namespace {

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000 * 1000;
// ListAudit returns at most this many entries when no limit is asked.
constexpr int kAuditLimit = 1000;

bool Unreachable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsAborted(status);
}

// `status` with what happened to the local edits added to its message.
absl::Status WithPendingNote(SyncClient& client, const absl::Status& status) {
  absl::StatusOr<ClientStatus> now = client.Status();
  if (!Unreachable(status) || !now.ok()) return status;
  return absl::Status(
      status.code(),
      absl::StrCat("server unreachable: ", status.message(), "; ", now->pending,
                   " local edits kept, run sync again later"));
}

void PrintReport(std::ostream& out, const SyncReport& report) {
  out << "pushed " << report.pushed << ", pulled " << report.pulled
      << ", conflicts " << report.conflicts << "\n";
  for (const std::string& rejected : report.rejected) {
    out << "rejected " << rejected << "\n";
  }
  if (report.held_outside_scope > 0) {
    out << report.held_outside_scope
        << " edits outside your scope kept here, not sent\n";
  }
  if (report.resent_lost_changes) {
    out << "the server had lost acknowledged edits (restored from a "
           "backup): they were sent again\n";
  }
  if (report.pull_restarted) {
    out << "the server is a new lineage: everything was pulled again\n";
  }
  if (report.new_identity) {
    out << "this device's store was restored from an older copy: it took a "
           "new replica id and sent its recent edits under it\n";
  }
  if (report.returned > 0) {
    out << report.returned
        << " writes of the server (resolutions) it had lost, restored from "
           "an older copy, were handed back to it\n";
  }
  if (report.deferred > 0) {
    out << report.deferred
        << " edits deferred: they build on edits the server has not "
           "received (it lags behind the server this device synced with "
           "before, or was restored from an older copy); their values are "
           "there meanwhile, and they go again at the next sync\n";
  }
}

std::string ScopeText(const std::string& scope) {
  return scope.empty() ? "everywhere" : scope;
}

std::string StatusJson(const ClientStatus& status) {
  JsonObject json;
  json.AddString("server", status.server)
      .AddString("user", status.user)
      .AddString("role", status.role)
      .AddString("scope", status.scope)
      .AddString("replica_id",
                 absl::StrCat(absl::Hex(status.replica_id, absl::kZeroPad16)))
      .AddRaw("pending", absl::StrCat(status.pending))
      .AddRaw("last_sync",
              status.last_sync_micros == 0
                  ? "null"
                  : JsonQuote(TimestampToText(status.last_sync_micros)))
      .AddRaw("last_error", status.last_error.empty()
                                ? "null"
                                : JsonQuote(status.last_error));
  return json.Build();
}

std::string StatusText(const ClientStatus& s) {
  std::string text = absl::StrCat(
      "server:     ", s.server, "\n", "user:       ",
      s.user.empty() ? "(unknown until the server answers)"
                     : absl::StrCat(s.user, " (role ", s.role, ", scope ",
                                    ScopeText(s.scope), ")"),
      "\n", "replica:    ", absl::Hex(s.replica_id, absl::kZeroPad16), "\n",
      "pending:    ", s.pending, " local edits not yet synced\n",
      "last sync:  ",
      s.last_sync_micros == 0 ? "never" : TimestampToText(s.last_sync_micros),
      "\n");
  if (!s.last_error.empty())
    absl::StrAppend(&text, "last error: ", s.last_error, "\n");
  return text;
}

// --since YYYY-MM-DD as microseconds at UTC midnight; 0 without it.
absl::StatusOr<int64_t> SinceMicros(const ParsedArgs& args) {
  if (!args.Has("since")) return 0;
  v1::FieldSpec spec;
  spec.set_name("--since");
  spec.set_type(v1::FIELD_TYPE_DATE);
  absl::StatusOr<v1::Value> date = ParseValue(spec, args.Get("since"));
  if (!date.ok() || !date->has_date_value()) {
    return UsageError("--since needs a date (YYYY-MM-DD)");
  }
  return int64_t{date->date_value().days()} * kMicrosPerDay;
}

}  // namespace

// The token: --token, else the first line of --token_file, else the
// environment's VILLAGESYNC_TOKEN (argv is visible to everyone in `ps`).
absl::StatusOr<std::string> TokenFrom(const ParsedArgs& args) {
  if (args.Has("token")) return args.Get("token");
  if (args.Has("token_file")) {
    absl::StatusOr<std::string> text = ReadWholeFile(args.Get("token_file"));
    if (!text.ok()) {
      return UsageError(
          absl::StrCat("--token_file: cannot read ", args.Get("token_file")));
    }
    return std::string(absl::StripAsciiWhitespace(
        absl::string_view(*text).substr(0, text->find('\n'))));
  }
  const char* env = std::getenv("VILLAGESYNC_TOKEN");
  return std::string(env == nullptr ? "" : env);
}

// True for a host on this machine: plaintext there is the default.
bool IsLoopbackHost(absl::string_view server) {
  absl::string_view host = server.substr(0, server.rfind(':'));
  return host == "localhost" || host == "[::1]" ||
         absl::StartsWith(host, "127.");
}

// How to reach the server: TLS unless --plaintext, or a loopback server
// without --ca.
absl::StatusOr<Connection> ConnectionFrom(const ParsedArgs& args) {
  Connection connection;
  connection.server = args.Get("server");
  VS_ASSIGN_OR_RETURN(connection.token, TokenFrom(args));
  if (connection.server.empty() || connection.token.empty()) {
    return UsageError(
        "--server and a token (--token, --token_file or VILLAGESYNC_TOKEN) "
        "are required");
  }
  if (args.Has("ca") && args.Has("plaintext")) {
    return UsageError("--ca and --plaintext: choose one");
  }
  if (args.Has("ca")) {
    absl::StatusOr<std::string> pem = ReadWholeFile(args.Get("ca"));
    if (!pem.ok() || pem->find("-----BEGIN CERTIFICATE") == std::string::npos) {
      return UsageError(
          absl::StrCat("--ca: ", args.Get("ca"), " is not a PEM certificate"));
    }
    connection.ca_pem = *pem;
  }
  connection.plaintext = args.Has("plaintext") ||
                         (!args.Has("ca") && IsLoopbackHost(connection.server));
  connection.server_name = args.Get("tls_server_name");
  return connection;
}

absl::Status RunInit(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(Connection connection, ConnectionFrom(args));
  const std::string& server = connection.server;
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.ClientToInitialize());
  VS_RETURN_IF_ERROR(client->Init(connection));
  VS_ASSIGN_OR_RETURN(ClientStatus status, client->Status());
  if (status.user.empty()) {
    ctx.out() << "saved server " << server
              << "; it did not answer, the token will be checked at the "
                 "next sync\n";
  } else {
    ctx.out() << "initialized: server " << server
              << (connection.plaintext ? " (plaintext)" : " (TLS)") << ", user "
              << status.user << " (role " << status.role << ", scope "
              << ScopeText(status.scope) << ")\n";
  }
  return absl::OkStatus();
}

absl::Status RunSync(CliContext& ctx, const ParsedArgs&) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  SyncOptions options = ctx.CallOptions();
  std::ostream& err = ctx.err();
  if (ctx.show_progress()) {
    options.progress = [&err](absl::string_view stage, int done) {
      err << "\r" << stage << ": " << done << "\033[K" << std::flush;
    };
  }
  absl::StatusOr<SyncReport> report = client->Sync(options);
  if (ctx.show_progress()) err << "\r\033[K" << std::flush;
  if (!report.ok()) return WithPendingNote(*client, report.status());
  PrintReport(ctx.out(), *report);
  if (report->deferred > 0) {
    return absl::UnavailableError(
        absl::StrCat("sync incomplete: ", report->deferred,
                     " edits deferred; run sync again later"));
  }
  return absl::OkStatus();
}

absl::Status RunStatus(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(ClientStatus status, client->Status());
  if (args.Has("json")) {
    ctx.out() << StatusJson(status) << "\n";
  } else {
    ctx.out() << StatusText(status);
  }
  return absl::OkStatus();
}

absl::Status RunAddUser(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(
      v1::AddUserResponse added,
      client->AddUser(args.Get("name"), args.Get("role"), args.Get("scope")));
  ctx.out() << added.token() << "\n";
  return absl::OkStatus();
}

absl::Status RunRevokeUser(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_RETURN_IF_ERROR(client->RevokeUser(args.positional[0]).status());
  ctx.out() << "revoked " << args.positional[0] << "\n";
  return absl::OkStatus();
}

namespace {

// Since when the user is in its state: created, or revoked (users revoked
// before the time was kept show their creation).
int64_t StateSince(const v1::UserInfo& user) {
  return user.revoked() && user.revoked_micros() != 0 ? user.revoked_micros()
                                                      : user.created_micros();
}

std::string UserLine(const v1::UserInfo& user) {
  return absl::StrCat(user.name(), "  ", user.role(), "  ",
                      ScopeText(user.scope()), "  ",
                      user.revoked() ? "revoked" : "active", "  since ",
                      TimestampToText(StateSince(user)));
}

std::string UserJson(const v1::UserInfo& user) {
  JsonObject json;
  json.AddString("name", user.name())
      .AddString("role", user.role())
      .AddString("scope", user.scope())
      .AddRaw("revoked", user.revoked() ? "true" : "false")
      .AddString("created", TimestampToText(user.created_micros()))
      .AddRaw("revoked_at",
              user.revoked_micros() == 0
                  ? "null"
                  : JsonQuote(TimestampToText(user.revoked_micros())));
  return json.Build();
}

}  // namespace

absl::Status RunListUsers(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ListUsersResponse users, client->ListUsers());
  if (args.Has("json")) {
    std::vector<std::string> objects;
    for (const v1::UserInfo& user : users.users()) {
      objects.push_back(UserJson(user));
    }
    ctx.out() << JsonArrayLines(objects) << "\n";
    return absl::OkStatus();
  }
  for (const v1::UserInfo& user : users.users()) {
    ctx.out() << UserLine(user) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunShowUser(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ListUsersResponse users, client->ListUsers());
  const std::string& name = args.positional[0];
  for (const v1::UserInfo& user : users.users()) {
    if (user.name() != name || user.revoked()) continue;
    ctx.out() << (args.Has("json") ? UserJson(user) : UserLine(user)) << "\n";
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("no active user ", Quoted(name), " in your scope"));
}

absl::Status RunSetUser(CliContext& ctx, const ParsedArgs& args) {
  if (!args.Has("role") && !args.Has("scope")) {
    return UsageError("give --role ROLE, --scope PREFIX or both");
  }
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  v1::SetUserRequest request;
  request.set_name(args.Get("name"));
  if (args.Has("role")) request.set_role(args.Get("role"));
  if (args.Has("scope")) request.set_scope(args.Get("scope"));
  VS_ASSIGN_OR_RETURN(v1::UserInfo user, client->SetUser(request));
  ctx.out() << UserLine(user) << "\n";
  return absl::OkStatus();
}

absl::Status RunRotateToken(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::RotateTokenResponse rotated,
                      client->RotateToken(args.positional[0]));
  ctx.out() << rotated.token() << "\n";
  return absl::OkStatus();
}

namespace {

std::string ReplicaHex(uint64_t replica) {
  return absl::StrCat(absl::Hex(replica, absl::kZeroPad16));
}

// Whole days since `micros` (0 if never).
int64_t DaysSince(int64_t micros) {
  if (micros == 0) return 0;
  return (absl::ToUnixMicros(absl::Now()) - micros) / kMicrosPerDay;
}

std::string DeviceLine(const v1::Device& device) {
  std::string line = absl::StrCat(
      ReplicaHex(device.replica_id()), "  ", device.user(), "  ",
      ScopeText(device.scope()), "  last sync ",
      TimestampToText(device.last_sync_micros()), " (",
      DaysSince(device.last_sync_micros()), " days)  pending ",
      device.pending_edits(), "  ",
      device.app_version().empty() ? "(unknown app)" : device.app_version());
  if (device.decommissioned_micros() != 0) {
    absl::StrAppend(&line, "  decommissioned by ", device.decommissioned_by(),
                    " at ", TimestampToText(device.decommissioned_micros()));
  }
  return line;
}

std::string DeviceJson(const v1::Device& device) {
  JsonObject json;
  bool retired = device.decommissioned_micros() != 0;
  json.AddString("replica", ReplicaHex(device.replica_id()))
      .AddString("user", device.user())
      .AddString("role", device.role())
      .AddString("scope", device.scope())
      .AddString("registered", TimestampToText(device.registered_micros()))
      .AddString("last_sync", TimestampToText(device.last_sync_micros()))
      .AddRaw("days_stale", absl::StrCat(DaysSince(device.last_sync_micros())))
      .AddString("app_version", device.app_version())
      .AddRaw("pending_edits", absl::StrCat(device.pending_edits()))
      .AddRaw("decommissioned",
              retired
                  ? JsonQuote(TimestampToText(device.decommissioned_micros()))
                  : "null")
      .AddRaw("decommissioned_by",
              retired ? JsonQuote(device.decommissioned_by()) : "null");
  return json.Build();
}

}  // namespace

absl::Status CheckRegionFlag(const ParsedArgs& args) {
  const std::string& region = args.Get("region");
  if (IsVillagePrefix(region)) return absl::OkStatus();
  return UsageError(
      absl::StrCat("--region must be a village code or its first digits (up "
                   "to 12), not ",
                   Quoted(region)));
}

absl::Status RunListDevices(CliContext& ctx, const ParsedArgs& args) {
  VS_RETURN_IF_ERROR(CheckRegionFlag(args));
  const std::string& region = args.Get("region");
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ListDevicesResponse devices,
                      client->ListDevices(region));
  if (args.Has("json")) {
    std::vector<std::string> objects;
    for (const v1::Device& device : devices.devices()) {
      objects.push_back(DeviceJson(device));
    }
    ctx.out() << JsonArrayLines(objects) << "\n";
    return absl::OkStatus();
  }
  for (const v1::Device& device : devices.devices()) {
    ctx.out() << DeviceLine(device) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunDecommissionDevice(CliContext& ctx, const ParsedArgs& args) {
  uint64_t replica = 0;
  const std::string& id = args.positional[0];
  if (id.size() != 16 || !absl::SimpleHexAtoi(id, &replica)) {
    return UsageError(absl::StrCat(
        "ID must be a device's replica id, 16 hex digits as `admin devices "
        "list` shows it, not ",
        Quoted(id)));
  }
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::Device device, client->DecommissionDevice(replica));
  ctx.out() << DeviceLine(device) << "\n";
  return absl::OkStatus();
}

absl::Status RunAudit(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(int64_t since, SinceMicros(args));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ListAuditResponse audit, client->ListAudit(since));
  if (args.Has("json")) {
    ctx.out() << AuditToJson(audit.entries()) << "\n";
  } else {
    for (const v1::AuditEntry& entry : audit.entries()) {
      ctx.out() << AuditEntryToLine(entry) << "\n";
    }
  }
  if (audit.entries_size() >= kAuditLimit) {
    ctx.err() << "showing the first " << audit.entries_size()
              << " entries; use --since with a later date for the rest\n";
  }
  return absl::OkStatus();
}

namespace {

std::string PeerLine(const v1::PeerStatus& peer) {
  std::string line = absl::StrCat(
      peer.name(), "  ", peer.address(), "  ", peer.state(), "  lag ",
      peer.lag_changes(), " changes / ", peer.lag_seconds(), " s  pushed ",
      peer.changes_pushed(), " pulled ", peer.changes_pulled());
  if (!peer.last_error().empty())
    absl::StrAppend(&line, "  error: ", peer.last_error());
  return line;
}

std::string PeerJson(const v1::PeerStatus& peer) {
  JsonObject json;
  json.AddString("name", peer.name())
      .AddString("address", peer.address())
      .AddString("state", peer.state())
      .AddRaw("lag_changes", absl::StrCat(peer.lag_changes()))
      .AddRaw("lag_seconds", absl::StrCat(peer.lag_seconds()))
      .AddRaw("changes_pushed", absl::StrCat(peer.changes_pushed()))
      .AddRaw("changes_pulled", absl::StrCat(peer.changes_pulled()))
      .AddRaw("last_error", peer.last_error().empty()
                                ? "null"
                                : JsonQuote(peer.last_error()));
  return json.Build();
}

}  // namespace

absl::Status RunPeers(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ListPeersResponse peers, client->ListPeers());
  if (args.Has("json")) {
    std::vector<std::string> objects;
    for (const v1::PeerStatus& peer : peers.peers())
      objects.push_back(PeerJson(peer));
    ctx.out() << JsonArrayLines(objects) << "\n";
    return absl::OkStatus();
  }
  if (peers.peers().empty()) ctx.out() << "no replication peers configured\n";
  for (const v1::PeerStatus& peer : peers.peers())
    ctx.out() << PeerLine(peer) << "\n";
  return absl::OkStatus();
}

absl::Status RunBackup(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::BackupResponse backup,
                      client->Backup(args.positional[0]));
  ctx.out() << "backup written on the server to " << backup.destination()
            << " (" << backup.bytes() << " bytes, "
            << backup.duration_micros() / 1000 << " ms)\n";
  return absl::OkStatus();
}

}  // namespace cli
}  // namespace villagesync
