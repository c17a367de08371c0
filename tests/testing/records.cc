#include "tests/testing/records.h"

#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "proto/status_macros.h"

namespace villagesync::testing {

v1::Value Str(const std::string& s) {
  v1::Value v;
  v.set_string_value(s);
  return v;
}

v1::Value Int(int64_t i) {
  v1::Value v;
  v.set_int_value(i);
  return v;
}

v1::Value Enum(const std::string& s) {
  v1::Value v;
  v.set_enum_value(s);
  return v;
}

v1::Value List(std::vector<std::string> items) {
  v1::Value v;
  for (std::string& item : items) {
    v.mutable_string_list()->add_items(std::move(item));
  }
  return v;
}

v1::Value Date(int year, int month, int day) {
  v1::Value v;
  v.mutable_date_value()->set_days(static_cast<int32_t>(
      absl::CivilDay(year, month, day) - absl::CivilDay(1970, 1, 1)));
  return v;
}

v1::Value Cleared() { return v1::Value(); }

v1::RecordKey Key(const std::string& village, const std::string& collection,
                  const std::string& id) {
  v1::RecordKey key;
  key.set_village(village);
  key.set_collection(collection);
  key.set_id(id);
  return key;
}

LocalEdit Edit(const v1::RecordKey& key,
               std::vector<std::pair<std::string, v1::Value>> fields,
               const std::string& author) {
  LocalEdit edit;
  edit.key = key;
  edit.fields = std::move(fields);
  edit.author = author;
  return edit;
}

LocalEdit NewMember(const std::string& village, const std::string& id,
                    const std::string& name) {
  return Edit(Key(village, "members", id), {{"name", Str(name)},
                                            {"join_date", Date(1995, 7, 1)},
                                            {"status", Enum("正式党员")}});
}

std::shared_ptr<const SchemaRegistry> NotesRegistry() {
  v1::SchemaSet set;
  set.set_version(1);
  v1::CollectionSchema* notes = set.add_collections();
  notes->set_name("notes");
  notes->set_kind(v1::COLLECTION_KIND_MUTABLE);
  auto add = [&](const char* name, v1::FieldType type, v1::MergePolicy policy) {
    v1::FieldSpec* f = notes->add_fields();
    f->set_name(name);
    f->set_type(type);
    f->set_merge_policy(policy);
  };
  add("title", v1::FIELD_TYPE_STRING, v1::MERGE_POLICY_REVIEW);
  add("body", v1::FIELD_TYPE_STRING, v1::MERGE_POLICY_REVIEW);
  add("score", v1::FIELD_TYPE_INT64, v1::MERGE_POLICY_LWW);
  add("tags", v1::FIELD_TYPE_STRING_LIST, v1::MERGE_POLICY_UNION);
  return std::make_shared<SchemaRegistry>(set);
}

absl::StatusOr<int> Exchange(const RecordStore& from, RecordStore& to,
                             std::string* checkpoint) {
  int applied = 0;
  while (true) {
    ChangeQuery query;
    query.after = *checkpoint;
    query.max_changes = 100;
    VS_ASSIGN_OR_RETURN(ChangePage page, from.ReadChanges(query));
    VS_ASSIGN_OR_RETURN(std::vector<v1::ApplyResult> results,
                        to.Apply(page.changes, from.replica_id()));
    for (const v1::ApplyResult& r : results) {
      if (r.outcome() == v1::APPLY_OUTCOME_REJECTED) {
        return absl::InternalError("exchange rejected a change: " + r.reason());
      }
      if (r.outcome() != v1::APPLY_OUTCOME_DUPLICATE) ++applied;
    }
    *checkpoint = page.checkpoint;
    if (!page.more) return applied;
  }
}

absl::Status FullSync(RecordStore& a, RecordStore& b) {
  std::string from_a, from_b;
  VS_RETURN_IF_ERROR(Exchange(a, b, &from_a).status());
  return Exchange(b, a, &from_b).status();
}

std::string Visible(const RecordStore& store, const v1::RecordKey& key,
                    const std::string& field) {
  absl::StatusOr<Record> record = store.Get(key);
  if (!record.ok()) return "<missing>";
  RecordView view =
      ViewRecord(*record, *store.schemas().FindCollection(key.collection()));
  for (const FieldView& f : view.fields) {
    if (f.name != field) continue;
    const v1::Value& v = *f.value;
    switch (v.kind_case()) {
      case v1::Value::kStringValue:
        return v.string_value();
      case v1::Value::kEnumValue:
        return v.enum_value();
      case v1::Value::kIntValue:
        return std::to_string(v.int_value());
      case v1::Value::kStringList:
        return absl::StrJoin(v.string_list().items(), ",");
      default:
        return v.ShortDebugString();
    }
  }
  return "<none>";
}

std::vector<std::string> ConflictFields(const RecordStore& store,
                                        const v1::RecordKey& key) {
  absl::StatusOr<Record> record = store.Get(key);
  if (!record.ok()) return {"<missing>"};
  return ViewRecord(*record, *store.schemas().FindCollection(key.collection()))
      .conflict_fields;
}

}  // namespace villagesync::testing
