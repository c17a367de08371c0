// How the villagesync command line shows the server's conflict inbox
// (SPEC §7): one line per conflict for `conflicts list`, the three-way view
// of `conflicts show`, their JSON for scripts, and what `conflicts resolve`
// chose. Pure functions of the messages; values render by their own kind
// (ValueToText / ValueToJson), so a delete-versus-edit conflict, whose
// siblings come from different fields, needs no schema. Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_CONFLICT_OUTPUT_H_
#define VILLAGESYNC_CLIENT_INTERNAL_CONFLICT_OUTPUT_H_

#include <cstdint>
#include <string>

#include "absl/types/span.h"
#include "proto/admin.pb.h"
#include "proto/records.pb.h"

namespace villagesync {
namespace cli {

// The field named in conflict ids for a delete-versus-edit conflict.
inline constexpr char kRecordConflictField[] = "_record";

// "open", "resolved" or "auto" ("unknown" for an unset status).
std::string ConflictStatusName(v1::ConflictStatus status);

// The conflict's field, kRecordConflictField for a delete-versus-edit one.
std::string ConflictField(const v1::Conflict& conflict);

// One line: "ID  STATUS  N siblings  AGE", the age since opened_micros as
// "45m", "5h" or "3d" relative to `now_micros` ("-" if unknown).
std::string ConflictToLine(const v1::ConflictInfo& info, int64_t now_micros);

// The three-way view, several lines: the id, status and opening time, the
// ancestor ("unknown" if not known), then one numbered line per sibling
//   [1] VALUE  — by AUTHOR on device REPLICA at HLC-TIME received TIME
// (REPLICA 16 hex digits, times RFC 3339 UTC; a cleared value is
// "(deleted)"), and who resolved it and why when set.
std::string ConflictToText(const v1::ConflictInfo& info);

// One JSON object on one line, as `conflicts show --json` prints it:
//   {"id":..., "collection":..., "village":..., "record":..., "field":...,
//    "status":"open"|"resolved"|"auto", "ancestor":VALUE or null,
//    "siblings":[{"n":1, "value":VALUE, "author":..., "replica":"16 hex",
//                 "hlc_time":TIME or null, "received":TIME or null}, ...],
//    "opened":TIME or null, "updated":TIME or null,
//    "resolved_by":... or null, "reason":... or null}
// VALUE as ValueToJson renders it (a cleared value is null); TIME RFC 3339.
std::string ConflictToJson(const v1::ConflictInfo& info);

// As ConflictToJson without ancestor, resolved_by and reason: the objects of
// `conflicts list --json`.
std::string ConflictSummaryToJson(const v1::ConflictInfo& info);

// A JSON array of ConflictSummaryToJson objects, one per line ("[]" if
// empty), without a final newline.
std::string ConflictListToJson(absl::Span<const v1::ConflictInfo> conflicts);

// What `request` chose for `conflict` (as shown before resolving), for
// people: "sibling 2: VALUE", "new value: VALUE", "record kept" or
// "record deleted".
std::string ResolutionToText(const v1::ResolveConflictRequest& request,
                             const v1::Conflict& conflict);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_CONFLICT_OUTPUT_H_
