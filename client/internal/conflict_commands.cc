// conflicts list, show and resolve: the server's conflict inbox (SPEC §7).
// All three talk to the server; a resolution reaches the local store at the
// next sync, like any edit.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/internal/cli_commands.h"
#include "client/internal/conflict_output.h"
#include "client/internal/value_text.h"
#include "proto/status_macros.h"
#include "storage/validation.h"

namespace villagesync {
namespace cli {
namespace {

constexpr const char* kChoiceFlags[] = {"pick", "value", "keep", "delete"};

// --status; open when not given.
absl::StatusOr<v1::ConflictStatus> ParseStatus(const ParsedArgs& args) {
  if (!args.Has("status")) return v1::CONFLICT_STATUS_OPEN;
  const std::string& text = args.Get("status");
  if (text == "open") return v1::CONFLICT_STATUS_OPEN;
  if (text == "resolved") return v1::CONFLICT_STATUS_RESOLVED;
  if (text == "auto") return v1::CONFLICT_STATUS_AUTO_RESOLVED;
  if (text == "all") return v1::CONFLICT_STATUS_UNSPECIFIED;
  return UsageError(absl::StrCat(
      "--status must be open, resolved, auto or all, not ", Quoted(text)));
}

// The list filters of the command line; usage errors for bad flag values.
absl::StatusOr<v1::ListConflictsRequest> ListRequest(const ParsedArgs& args) {
  v1::ListConflictsRequest request;
  VS_RETURN_IF_ERROR(CheckRegionFlag(args));
  request.set_region_prefix(args.Get("region"));
  request.set_collection(args.Get("collection"));
  VS_ASSIGN_OR_RETURN(v1::ConflictStatus status, ParseStatus(args));
  request.set_status(status);
  if (args.Has("min-age-days")) {
    int32_t days = -1;
    if (!absl::SimpleAtoi(args.Get("min-age-days"), &days) || days < 0) {
      return UsageError("--min-age-days needs a whole number (0 or more)");
    }
    request.set_min_age_days(days);
  }
  return request;
}

// Every conflict matching `request`, following the pages to the end.
absl::StatusOr<std::vector<v1::ConflictInfo>> ListAllConflicts(
    SyncClient& client, v1::ListConflictsRequest request) {
  std::vector<v1::ConflictInfo> all;
  for (;;) {
    VS_ASSIGN_OR_RETURN(v1::ListConflictsResponse page,
                        client.ListConflicts(request));
    for (v1::ConflictInfo& info : *page.mutable_conflicts()) {
      all.push_back(std::move(info));
    }
    if (page.next_page_token().empty()) return all;
    // A token that does not advance would page forever.
    if (page.next_page_token() == request.page_token()) {
      return absl::InternalError("the server repeated a page token");
    }
    request.set_page_token(page.next_page_token());
  }
}

// The choice and reason of the command line, all but a --value (parsed once
// the conflict's field is known). Usage errors unless exactly one choice and
// a non-empty reason are given.
absl::StatusOr<v1::ResolveConflictRequest> ResolveRequest(
    const ParsedArgs& args) {
  int choices = 0;
  for (const char* flag : kChoiceFlags) choices += args.Has(flag) ? 1 : 0;
  if (choices != 1) {
    return UsageError(
        "give exactly one of --pick N, --value VALUE, --keep, --delete");
  }
  if (args.Get("reason").empty()) {
    return UsageError("--reason needs a non-empty text");
  }
  v1::ResolveConflictRequest request;
  request.set_id(args.positional[0]);
  request.set_reason(args.Get("reason"));
  uint32_t pick = 0;
  if (args.Has("pick") &&
      (!absl::SimpleAtoi(args.Get("pick"), &pick) || pick == 0)) {
    return UsageError(
        "--pick needs a sibling number (1, 2, ...) as `conflicts show` "
        "numbers them");
  }
  if (pick > 0) request.set_pick(pick);
  if (args.Has("keep")) request.set_keep(true);
  if (args.Has("delete")) request.set_delete_(true);
  return request;
}

// `text` parsed by the type of the conflict's field, as `put` would.
absl::StatusOr<v1::Value> ParseConflictValue(const SchemaRegistry& schemas,
                                             const v1::ConflictInfo& info,
                                             const std::string& text) {
  const v1::Conflict& conflict = info.conflict();
  if (conflict.field().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        info.id(),
        " is a delete-versus-edit conflict: use --keep or --delete"));
  }
  const v1::FieldSpec* spec =
      schemas.FindField(conflict.key().collection(), conflict.field());
  if (spec == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        conflict.field(), ": not in this device's schema of \"",
        conflict.key().collection(), "\"; run sync to update it first"));
  }
  return ParseValue(*spec, text);
}

}  // namespace

absl::Status RunConflictsList(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(v1::ListConflictsRequest request, ListRequest(args));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(std::vector<v1::ConflictInfo> conflicts,
                      ListAllConflicts(*client, request));
  if (args.Has("json")) {
    ctx.out() << ConflictListToJson(conflicts) << "\n";
    return absl::OkStatus();
  }
  int64_t now = absl::ToUnixMicros(absl::Now());
  for (const v1::ConflictInfo& info : conflicts) {
    ctx.out() << ConflictToLine(info, now) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunConflictsShow(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_ASSIGN_OR_RETURN(v1::ConflictInfo info,
                      client->ShowConflict(args.positional[0]));
  if (args.Has("json")) {
    ctx.out() << ConflictToJson(info) << "\n";
  } else {
    ctx.out() << ConflictToText(info);
  }
  return absl::OkStatus();
}

absl::Status RunConflictsResolve(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(v1::ResolveConflictRequest request, ResolveRequest(args));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  // Shown first: NOT_FOUND before anything else, and --value needs the
  // conflict's collection and field to be parsed.
  VS_ASSIGN_OR_RETURN(v1::ConflictInfo shown,
                      client->ShowConflict(request.id()));
  if (args.Has("value")) {
    VS_ASSIGN_OR_RETURN(*request.mutable_value(),
                        ParseConflictValue(client->store().schemas(), shown,
                                           args.Get("value")));
  }
  VS_RETURN_IF_ERROR(client->ResolveConflict(request).status());
  ctx.out() << "resolved " << request.id() << ": "
            << ResolutionToText(request, shown.conflict()) << "\n"
            << "run `villagesync --store DIR sync` to receive the resolution "
               "on this device\n";
  return absl::OkStatus();
}

}  // namespace cli
}  // namespace villagesync
