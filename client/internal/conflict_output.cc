#include "client/internal/conflict_output.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "client/internal/json.h"
#include "client/internal/value_text.h"

namespace villagesync {
namespace cli {
namespace {

constexpr int64_t kMicrosPerMinute = int64_t{60} * 1000 * 1000;
constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

// An HLC is (physical milliseconds << 16) | logical counter.
int64_t HlcMicros(uint64_t hlc) {
  return static_cast<int64_t>(hlc >> 16) * 1000;
}

std::string ReplicaHex(const v1::Sibling& sibling) {
  return absl::StrCat(absl::Hex(sibling.dot().replica(), absl::kZeroPad16));
}

// When this replica received sibling `i`; 0 if the server did not say.
int64_t ReceivedMicros(const v1::Conflict& conflict, int i) {
  return i < conflict.received_micros_size() ? conflict.received_micros(i) : 0;
}

std::string TimeJson(int64_t micros) {
  return micros == 0 ? "null" : JsonQuote(TimestampToText(micros));
}

std::string OptionalStringJson(const std::string& text) {
  return text.empty() ? "null" : JsonQuote(text);
}

std::string ValueText(const v1::Value& value) {
  if (value.kind_case() == v1::Value::KIND_NOT_SET) return "(deleted)";
  return ValueToText(value);
}

std::string AgeText(int64_t opened_micros, int64_t now_micros) {
  if (opened_micros == 0) return "-";
  int64_t age = now_micros > opened_micros ? now_micros - opened_micros : 0;
  if (age >= kMicrosPerDay) return absl::StrCat(age / kMicrosPerDay, "d");
  if (age >= kMicrosPerHour) return absl::StrCat(age / kMicrosPerHour, "h");
  return absl::StrCat(age / kMicrosPerMinute, "m");
}

std::string SiblingJson(const v1::Conflict& conflict, int i) {
  const v1::Sibling& sibling = conflict.siblings(i);
  JsonObject json;
  json.AddRaw("n", absl::StrCat(i + 1))
      .AddRaw("value", ValueToJson(sibling.value()))
      .AddString("author", sibling.author())
      .AddString("replica", ReplicaHex(sibling))
      .AddRaw("hlc_time",
              sibling.hlc() == 0 ? "null" : TimeJson(HlcMicros(sibling.hlc())))
      .AddRaw("received", TimeJson(ReceivedMicros(conflict, i)));
  return json.Build();
}

std::string SiblingsJson(const v1::Conflict& conflict) {
  std::string json = "[";
  for (int i = 0; i < conflict.siblings_size(); ++i) {
    absl::StrAppend(&json, i > 0 ? "," : "", SiblingJson(conflict, i));
  }
  json.push_back(']');
  return json;
}

std::string SiblingLine(const v1::Conflict& conflict, int i) {
  const v1::Sibling& sibling = conflict.siblings(i);
  std::string line = absl::StrCat(
      "[", i + 1, "] ", ValueText(sibling.value()), "  — by ",
      sibling.author().empty() ? "(unknown)" : sibling.author(), " on device ",
      ReplicaHex(sibling), " at ",
      sibling.hlc() == 0 ? "(unknown time)"
                         : TimestampToText(HlcMicros(sibling.hlc())));
  int64_t received = ReceivedMicros(conflict, i);
  if (received != 0) {
    absl::StrAppend(&line, " received ", TimestampToText(received));
  }
  return line;
}

// The members every conflict object starts with, up to its status.
JsonObject ConflictHeaderJson(const v1::ConflictInfo& info) {
  const v1::Conflict& conflict = info.conflict();
  JsonObject json;
  json.AddString("id", info.id())
      .AddString("collection", conflict.key().collection())
      .AddString("village", conflict.key().village())
      .AddString("record", conflict.key().id())
      .AddString("field", ConflictField(conflict))
      .AddString("status", ConflictStatusName(conflict.status()));
  return json;
}

}  // namespace

std::string ConflictStatusName(v1::ConflictStatus status) {
  switch (status) {
    case v1::CONFLICT_STATUS_OPEN:
      return "open";
    case v1::CONFLICT_STATUS_RESOLVED:
      return "resolved";
    case v1::CONFLICT_STATUS_AUTO_RESOLVED:
      return "auto";
    default:
      return "unknown";
  }
}

std::string ConflictField(const v1::Conflict& conflict) {
  return conflict.field().empty() ? kRecordConflictField : conflict.field();
}

std::string ConflictToLine(const v1::ConflictInfo& info, int64_t now_micros) {
  const v1::Conflict& conflict = info.conflict();
  return absl::StrCat(info.id(), "  ", ConflictStatusName(conflict.status()),
                      "  ", conflict.siblings_size(), " siblings  ",
                      AgeText(conflict.opened_micros(), now_micros));
}

std::string ConflictToText(const v1::ConflictInfo& info) {
  const v1::Conflict& conflict = info.conflict();
  std::string text = absl::StrCat(
      "conflict ", info.id(),
      "\nstatus: ", ConflictStatusName(conflict.status()), "\nopened: ",
      conflict.opened_micros() == 0 ? "unknown"
                                    : TimestampToText(conflict.opened_micros()),
      "\n");
  if (conflict.field().empty()) {
    absl::StrAppend(&text,
                    "kind: deleted on one device while edited on another "
                    "(resolve with --keep or --delete)\n");
  }
  absl::StrAppend(&text, "ancestor: ",
                  conflict.has_ancestor()
                      ? ValueText(conflict.ancestor().value())
                      : "unknown",
                  "\n");
  for (int i = 0; i < conflict.siblings_size(); ++i) {
    absl::StrAppend(&text, SiblingLine(conflict, i), "\n");
  }
  if (!conflict.resolved_by().empty()) {
    absl::StrAppend(&text, "resolved by: ", conflict.resolved_by(), "\n");
  }
  if (!conflict.reason().empty()) {
    absl::StrAppend(&text, "reason: ", conflict.reason(), "\n");
  }
  return text;
}

std::string ConflictToJson(const v1::ConflictInfo& info) {
  const v1::Conflict& conflict = info.conflict();
  JsonObject json = ConflictHeaderJson(info);
  json.AddRaw("ancestor", conflict.has_ancestor()
                              ? ValueToJson(conflict.ancestor().value())
                              : "null")
      .AddRaw("siblings", SiblingsJson(conflict))
      .AddRaw("opened", TimeJson(conflict.opened_micros()))
      .AddRaw("updated", TimeJson(conflict.updated_micros()))
      .AddRaw("resolved_by", OptionalStringJson(conflict.resolved_by()))
      .AddRaw("reason", OptionalStringJson(conflict.reason()));
  return json.Build();
}

std::string ConflictSummaryToJson(const v1::ConflictInfo& info) {
  const v1::Conflict& conflict = info.conflict();
  JsonObject json = ConflictHeaderJson(info);
  json.AddRaw("siblings", SiblingsJson(conflict))
      .AddRaw("opened", TimeJson(conflict.opened_micros()))
      .AddRaw("updated", TimeJson(conflict.updated_micros()));
  return json.Build();
}

std::string ConflictListToJson(absl::Span<const v1::ConflictInfo> conflicts) {
  std::vector<std::string> objects;
  for (const v1::ConflictInfo& info : conflicts) {
    objects.push_back(ConflictSummaryToJson(info));
  }
  return JsonArrayLines(objects);
}

std::string ResolutionToText(const v1::ResolveConflictRequest& request,
                             const v1::Conflict& conflict) {
  switch (request.choice_case()) {
    case v1::ResolveConflictRequest::kPick: {
      int i = static_cast<int>(request.pick()) - 1;
      if (i < 0 || i >= conflict.siblings_size()) {
        return absl::StrCat("sibling ", request.pick());
      }
      return absl::StrCat("sibling ", request.pick(), ": ",
                          ValueText(conflict.siblings(i).value()));
    }
    case v1::ResolveConflictRequest::kValue:
      return absl::StrCat("new value: ", ValueText(request.value()));
    case v1::ResolveConflictRequest::kKeep:
      return "record kept";
    case v1::ResolveConflictRequest::kDelete:
      return "record deleted";
    default:
      return "no choice";
  }
}

}  // namespace cli
}  // namespace villagesync
