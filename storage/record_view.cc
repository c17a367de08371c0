#include "storage/record_view.h"

#include <algorithm>

#include "storage/causal_context.h"
#include "storage/field_merge.h"

namespace villagesync {
namespace {

bool IsDeleteDot(const v1::Dot& dot, const std::vector<v1::Dot>& delete_dots) {
  for (const v1::Dot& d : delete_dots) {
    if (DotEqual(d, dot)) return true;
  }
  return false;
}

v1::MergePolicy PolicyOf(const v1::CollectionSchema& schema,
                         const std::string& field) {
  for (const v1::FieldSpec& spec : schema.fields()) {
    if (spec.name() == field) return spec.merge_policy();
  }
  return v1::MERGE_POLICY_REVIEW;
}

// The union of the items of every set sibling, in sibling order, without
// repeats; absent if every sibling is cleared.
absl::optional<v1::Value> UnionOf(
    const google::protobuf::RepeatedPtrField<v1::Sibling>& live) {
  absl::optional<v1::Value> merged;
  for (const v1::Sibling& s : live) {
    if (IsCleared(s.value())) continue;
    if (!merged) merged.emplace().mutable_string_list();
    auto* items = merged->mutable_string_list()->mutable_items();
    for (const std::string& item : s.value().string_list().items()) {
      if (std::find(items->begin(), items->end(), item) == items->end()) {
        *items->Add() = item;
      }
    }
  }
  return merged;
}

bool AllValuesEqual(
    const google::protobuf::RepeatedPtrField<v1::Sibling>& siblings) {
  for (const v1::Sibling& s : siblings) {
    if (!ValueEquals(s.value(), siblings[0].value())) return false;
  }
  return true;
}

absl::optional<v1::Value> ValueOf(const v1::Sibling& sibling) {
  if (IsCleared(sibling.value())) return absl::nullopt;
  return sibling.value();
}

// Siblings of the register that were not written by a delete in force.
google::protobuf::RepeatedPtrField<v1::Sibling> LiveSiblings(
    const v1::FieldState& state, const std::vector<v1::Dot>& delete_dots) {
  google::protobuf::RepeatedPtrField<v1::Sibling> live;
  for (const v1::Sibling& s : state.siblings()) {
    if (!IsDeleteDot(s.dot(), delete_dots)) *live.Add() = s;
  }
  return live;
}

bool HasLiveValue(const v1::FieldState& state,
                  const std::vector<v1::Dot>& delete_dots) {
  for (const v1::Sibling& s : LiveSiblings(state, delete_dots)) {
    if (!IsCleared(s.value())) return true;
  }
  return false;
}

bool DeletionHas(const storage::StoredRecord& record, bool deleted) {
  for (const v1::Sibling& s : record.deletion().state().siblings()) {
    if (s.value().bool_value() == deleted) return true;
  }
  return false;
}

v1::Conflict DeleteConflict(const Record& record,
                            const std::vector<v1::Dot>& delete_dots) {
  v1::Conflict conflict;
  *conflict.mutable_key() = record.key;
  conflict.set_status(v1::CONFLICT_STATUS_OPEN);
  // The delete as a cleared value (what it wrote into every field); a
  // re-creation shows through the field values it wrote.
  for (const v1::Sibling& s : record.stored.deletion().state().siblings()) {
    if (!s.value().bool_value()) continue;
    v1::Sibling& deleted = *conflict.add_siblings();
    deleted = s;
    deleted.clear_value();
  }
  // The concurrent edits, one sibling per write (the first field it set).
  for (const storage::StoredField& field : record.stored.fields()) {
    for (const v1::Sibling& s : LiveSiblings(field.state(), delete_dots)) {
      bool seen = false;
      for (const v1::Sibling& c : conflict.siblings()) {
        seen = seen || DotEqual(c.dot(), s.dot());
      }
      if (!seen && !IsCleared(s.value())) *conflict.add_siblings() = s;
    }
  }
  return conflict;
}

}  // namespace

const v1::Sibling& ProvisionalWinner(
    const google::protobuf::RepeatedPtrField<v1::Sibling>& siblings) {
  const v1::Sibling* best = &siblings[0];
  for (const v1::Sibling& s : siblings) {
    if (s.hlc() != best->hlc() ? s.hlc() > best->hlc()
                               : DotLess(best->dot(), s.dot())) {
      best = &s;
    }
  }
  return *best;
}

std::vector<v1::Dot> DeleteDots(const storage::StoredRecord& record) {
  std::vector<v1::Dot> dots;
  for (const v1::Sibling& s : record.deletion().state().siblings()) {
    if (s.value().bool_value()) dots.push_back(s.dot());
  }
  return dots;
}

FieldView ViewField(const v1::FieldState& state, v1::MergePolicy policy,
                    const std::vector<v1::Dot>& delete_dots) {
  FieldView view;
  view.name = state.name();
  auto live = LiveSiblings(state, delete_dots);
  if (live.empty()) return view;
  if (policy == v1::MERGE_POLICY_UNION) {
    view.value = UnionOf(live);
    return view;
  }
  view.value = ValueOf(ProvisionalWinner(live));
  if (!AllValuesEqual(live)) {
    view.status = policy == v1::MERGE_POLICY_LWW ? FieldStatus::kAutoResolved
                                                 : FieldStatus::kConflict;
  }
  return view;
}

RecordView ViewRecord(const Record& record,
                      const v1::CollectionSchema& schema) {
  RecordView view;
  view.key = record.key;
  std::vector<v1::Dot> delete_dots = DeleteDots(record.stored);
  bool any_live = false;
  for (const storage::StoredField& field : record.stored.fields()) {
    any_live = any_live || HasLiveValue(field.state(), delete_dots);
    FieldView f = ViewField(
        field.state(), PolicyOf(schema, field.state().name()), delete_dots);
    if (f.status == FieldStatus::kConflict)
      view.conflict_fields.push_back(f.name);
    if (f.value) view.fields.push_back(std::move(f));
  }
  bool has_delete = DeletionHas(record.stored, true);
  view.deleted = has_delete && !any_live;
  view.delete_conflict = has_delete && any_live;
  return view;
}

std::vector<v1::Conflict> DeriveConflicts(const Record& record,
                                          const v1::CollectionSchema& schema) {
  std::vector<v1::Conflict> conflicts;
  std::vector<v1::Dot> delete_dots = DeleteDots(record.stored);
  for (const storage::StoredField& field : record.stored.fields()) {
    const std::string& name = field.state().name();
    FieldView f = ViewField(field.state(), PolicyOf(schema, name), delete_dots);
    if (f.status == FieldStatus::kClean) continue;
    v1::Conflict& c = conflicts.emplace_back();
    *c.mutable_key() = record.key;
    c.set_field(name);
    *c.mutable_siblings() = LiveSiblings(field.state(), delete_dots);
    c.set_status(f.status == FieldStatus::kConflict
                     ? v1::CONFLICT_STATUS_OPEN
                     : v1::CONFLICT_STATUS_AUTO_RESOLVED);
  }
  if (ViewRecord(record, schema).delete_conflict) {
    conflicts.push_back(DeleteConflict(record, delete_dots));
  }
  return conflicts;
}

}  // namespace villagesync
