#include "client/internal/audit_output.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "client/internal/json.h"
#include "client/internal/value_text.h"

namespace villagesync {
namespace cli {

std::string AuditEntryToLine(const v1::AuditEntry& entry) {
  std::string line =
      absl::StrCat(TimestampToText(entry.micros()), "  ", entry.actor(), "  ",
                   entry.action(), "  ", entry.target());
  if (!entry.detail().empty()) absl::StrAppend(&line, "  ", entry.detail());
  return line;
}

std::string AuditEntryToJson(const v1::AuditEntry& entry) {
  JsonObject json;
  json.AddString("time", TimestampToText(entry.micros()))
      .AddString("actor", entry.actor())
      .AddString("action", entry.action())
      .AddString("target", entry.target())
      .AddString("detail", entry.detail());
  return json.Build();
}

std::string AuditToJson(
    const google::protobuf::RepeatedPtrField<v1::AuditEntry>& entries) {
  std::vector<std::string> objects;
  for (const v1::AuditEntry& entry : entries) {
    objects.push_back(AuditEntryToJson(entry));
  }
  return JsonArrayLines(objects);
}

}  // namespace cli
}  // namespace villagesync
