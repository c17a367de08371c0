#include "storage/resolution.h"

#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "storage/causal_context.h"
#include "storage/field_merge.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

absl::StatusOr<v1::Conflict> FindOpen(const SchemaRegistry& schemas,
                                      const Record& record,
                                      const std::string& field) {
  const v1::CollectionSchema* schema =
      schemas.FindCollection(record.key.collection());
  if (schema != nullptr) {
    for (v1::Conflict& c : DeriveConflicts(record, *schema)) {
      if (c.field() == field) return c;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("conflict: ", record.key.collection(), "/", record.key.id(),
                   field.empty() ? "" : absl::StrCat(" field ", field),
                   " is not in conflict (resolved already?)"));
}

absl::StatusOr<v1::Change> ResolveField(const SchemaRegistry& schemas,
                                        const Record& record,
                                        const v1::Conflict& conflict,
                                        const Resolution& r,
                                        const WriteStamp& stamp) {
  v1::Value value = r.value;
  if (r.choice == Resolution::Choice::kPick) {
    if (r.pick < 1 || r.pick > conflict.siblings_size()) {
      return InvalidField(
          "pick", absl::StrCat("choose 1 to ", conflict.siblings_size()));
    }
    value = conflict.siblings(r.pick - 1).value();
  } else if (r.choice != Resolution::Choice::kValue) {
    return InvalidField("choice",
                        "keep and delete settle a delete-versus-edit "
                        "conflict; choose pick or value");
  }
  LocalEdit edit;
  edit.key = record.key;
  edit.fields.push_back({r.field, std::move(value)});
  edit.author = r.resolver;
  VS_RETURN_IF_ERROR(CheckPut(schemas, &record, edit));
  return MakePut(&record, edit, stamp);
}

// The value "keep" writes into `field`: the surviving edit, or what the
// delete superseded; absent if the delete left nothing to restore.
absl::optional<v1::Value> KeptValue(const storage::StoredField& field,
                                    const std::vector<v1::Dot>& delete_dots) {
  google::protobuf::RepeatedPtrField<v1::Sibling> live;
  bool deleted_here = false;
  for (const v1::Sibling& s : field.state().siblings()) {
    bool by_delete = false;
    for (const v1::Dot& d : delete_dots)
      by_delete = by_delete || DotEqual(d, s.dot());
    deleted_here = deleted_here || by_delete;
    if (!by_delete && !IsCleared(s.value())) *live.Add() = s;
  }
  if (!deleted_here) return absl::nullopt;
  if (!live.empty()) return ProvisionalWinner(live).value();
  if (field.has_previous() && !IsCleared(field.previous().value())) {
    return field.previous().value();
  }
  return absl::nullopt;
}

v1::Change KeepRecord(const Record& record, const WriteStamp& stamp) {
  v1::Change change;
  *change.mutable_key() = record.key;
  std::vector<v1::Dot> delete_dots = DeleteDots(record.stored);
  for (const storage::StoredField& f : record.stored.fields()) {
    absl::optional<v1::Value> kept = KeptValue(f, delete_dots);
    if (kept)
      *change.add_fields() = Overwrite(f.state(), Stamped(*kept, stamp));
  }
  v1::Value live;
  live.set_bool_value(false);
  *change.mutable_deletion() =
      Overwrite(record.stored.deletion().state(), Stamped(live, stamp));
  return change;
}

// A value as people read it in the audit log.
std::string ValueText(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return absl::StrCat("\"", value.string_value(), "\"");
    case v1::Value::kEnumValue:
      return value.enum_value();
    case v1::Value::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::Value::kMoneyFen:
      return absl::StrCat(value.money_fen(), " fen");
    case v1::Value::KIND_NOT_SET:
      return "(cleared)";
    default:
      return value.ShortDebugString();
  }
}

}  // namespace

absl::StatusOr<v1::Change> MakeResolution(const SchemaRegistry& schemas,
                                          const Record& record,
                                          const Resolution& r,
                                          const WriteStamp& stamp) {
  if (r.reason.empty()) return InvalidField("reason", "say why (required)");
  VS_ASSIGN_OR_RETURN(v1::Conflict conflict,
                      FindOpen(schemas, record, r.field));
  if (!r.field.empty())
    return ResolveField(schemas, record, conflict, r, stamp);
  switch (r.choice) {
    case Resolution::Choice::kKeep:
      return KeepRecord(record, stamp);
    case Resolution::Choice::kDelete:
      return MakeDelete(record, stamp);
    default:
      return InvalidField("choice",
                          "a delete-versus-edit conflict is settled with "
                          "keep or delete");
  }
}

std::string DescribeResolution(const Resolution& r) {
  std::string what;
  switch (r.choice) {
    case Resolution::Choice::kPick:
      what = absl::StrCat("picked [", r.pick, "]");
      break;
    case Resolution::Choice::kValue:
      what = absl::StrCat("wrote ", ValueText(r.value));
      break;
    case Resolution::Choice::kKeep:
      what = "kept the record";
      break;
    case Resolution::Choice::kDelete:
      what = "deleted the record";
      break;
  }
  return absl::StrCat(what, "; reason: ", r.reason);
}

}  // namespace villagesync
