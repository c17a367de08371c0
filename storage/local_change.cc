#include "storage/local_change.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "storage/field_merge.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

bool IsLive(const SchemaRegistry& schemas, const Record* current) {
  if (current == nullptr) return false;
  return !ViewRecord(*current,
                     *schemas.FindCollection(current->key.collection()))
              .deleted;
}

const v1::FieldState* FindField(const Record* current,
                                const std::string& name) {
  if (current == nullptr) return nullptr;
  for (const storage::StoredField& f : current->stored.fields()) {
    if (f.state().name() == name) return &f.state();
  }
  return nullptr;
}

absl::Status CheckFields(const SchemaRegistry& schemas, const Record* current,
                         const LocalEdit& edit) {
  absl::flat_hash_set<std::string> seen;
  for (const auto& [name, value] : edit.fields) {
    const v1::FieldSpec* spec = schemas.FindField(edit.key.collection(), name);
    if (spec == nullptr) {
      return InvalidField(name.empty() ? "fields" : name,
                          absl::StrCat("unknown field of collection \"",
                                       edit.key.collection(), "\""));
    }
    if (!seen.insert(name).second) return InvalidField(name, "given twice");
    VS_RETURN_IF_ERROR(ValidateValue(schemas, *spec, value));
    if (spec->required() && IsCleared(value)) {
      return InvalidField(name, "required field cannot be cleared");
    }
  }
  // Relations hold for what the writer sees: the record as shown, with
  // this edit.
  const v1::CollectionSchema& schema =
      *schemas.FindCollection(edit.key.collection());
  IntValues ints;
  if (current != nullptr) {
    for (const FieldView& f : ViewRecord(*current, schema).fields) {
      if (f.value && f.value->has_int_value()) {
        ints[f.name] = f.value->int_value();
      }
    }
  }
  for (const auto& [name, value] : edit.fields) {
    ints.erase(name);
    if (value.has_int_value()) ints[name] = value.int_value();
  }
  return CheckIntBounds(schema, ints);
}

absl::Status CheckRequired(const v1::CollectionSchema& schema,
                           const LocalEdit& edit) {
  for (const v1::FieldSpec& spec : schema.fields()) {
    if (!spec.required()) continue;
    bool given = false;
    for (const auto& field : edit.fields)
      given = given || field.first == spec.name();
    if (!given) return InvalidField(spec.name(), "required field is missing");
  }
  return absl::OkStatus();
}

}  // namespace

v1::Sibling Stamped(v1::Value value, const WriteStamp& stamp) {
  v1::Sibling s;
  *s.mutable_value() = std::move(value);
  *s.mutable_dot() = stamp.dot;
  s.set_hlc(stamp.hlc);
  s.set_author(stamp.author);
  return s;
}

absl::Status CheckPut(const SchemaRegistry& schemas, const Record* current,
                      const LocalEdit& edit) {
  VS_RETURN_IF_ERROR(ValidateKey(schemas, edit.key));
  const v1::CollectionSchema& schema =
      *schemas.FindCollection(edit.key.collection());
  bool live = IsLive(schemas, current);
  if (live && schema.kind() == v1::COLLECTION_KIND_APPEND_ONLY) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection \"", schema.name(),
        "\" is append-only: records are immutable once written; write a new "
        "record whose \"corrects\" field points at this one"));
  }
  if (edit.fields.empty()) return InvalidField("fields", "nothing to write");
  VS_RETURN_IF_ERROR(CheckFields(schemas, live ? current : nullptr, edit));
  if (!live) VS_RETURN_IF_ERROR(CheckRequired(schema, edit));
  return absl::OkStatus();
}

v1::Change MakePut(const Record* current, const LocalEdit& edit,
                   const WriteStamp& stamp) {
  v1::Change change;
  *change.mutable_key() = edit.key;
  bool deleted_before =
      current != nullptr && !DeleteDots(current->stored).empty();
  change.set_creates(current == nullptr);
  for (const auto& [name, value] : edit.fields) {
    const v1::FieldState* old = FindField(current, name);
    v1::FieldState base;
    base.set_name(name);
    *change.add_fields() = Overwrite(old ? *old : base, Stamped(value, stamp));
  }
  if (deleted_before) {
    // Re-creation: supersede the delete so the record is live again.
    v1::Value live;
    live.set_bool_value(false);
    *change.mutable_deletion() =
        Overwrite(current->stored.deletion().state(), Stamped(live, stamp));
  }
  return change;
}

absl::Status CheckDelete(const SchemaRegistry& schemas, const Record* current,
                         const v1::RecordKey& key) {
  VS_RETURN_IF_ERROR(ValidateKey(schemas, key));
  if (schemas.FindCollection(key.collection())->kind() ==
      v1::COLLECTION_KIND_APPEND_ONLY) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection \"", key.collection(),
        "\" is append-only: records cannot be deleted; write a correction"));
  }
  if (!IsLive(schemas, current)) {
    return absl::NotFoundError(absl::StrCat("no record ", key.collection(), "/",
                                            key.id(), " in village ",
                                            key.village()));
  }
  return absl::OkStatus();
}

v1::Change MakeDelete(const Record& current, const WriteStamp& stamp) {
  v1::Change change;
  *change.mutable_key() = current.key;
  for (const storage::StoredField& f : current.stored.fields()) {
    *change.add_fields() = Overwrite(f.state(), Stamped(v1::Value(), stamp));
  }
  v1::Value deleted;
  deleted.set_bool_value(true);
  *change.mutable_deletion() =
      Overwrite(current.stored.deletion().state(), Stamped(deleted, stamp));
  return change;
}

}  // namespace villagesync
