// How `villagesync admin audit` shows the server's audit log (SPEC §6): one
// line per entry for people, a JSON array for scripts. Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_AUDIT_OUTPUT_H_
#define VILLAGESYNC_CLIENT_INTERNAL_AUDIT_OUTPUT_H_

#include <string>

#include "proto/admin.pb.h"

namespace villagesync {
namespace cli {

// "TIME  ACTOR  ACTION  TARGET  DETAIL", TIME RFC 3339 UTC; no trailing
// separator when the detail is empty.
std::string AuditEntryToLine(const v1::AuditEntry& entry);

// {"time":"RFC 3339","actor":...,"action":...,"target":...,"detail":...}
std::string AuditEntryToJson(const v1::AuditEntry& entry);

// A JSON array of AuditEntryToJson objects, one per line ("[]" if empty),
// without a final newline.
std::string AuditToJson(
    const google::protobuf::RepeatedPtrField<v1::AuditEntry>& entries);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_AUDIT_OUTPUT_H_
