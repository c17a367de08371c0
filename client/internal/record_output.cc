#include "client/internal/record_output.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/internal/json.h"
#include "client/internal/value_text.h"

namespace villagesync {
namespace cli {
namespace {

// At most this many fields on a `list` line.
constexpr size_t kLineFields = 4;

// The set fields of `view` in schema order; fields the schema no longer
// declares follow in name order.
std::vector<const FieldView*> InSchemaOrder(
    const RecordView& view, const v1::CollectionSchema& schema) {
  absl::flat_hash_map<std::string, const FieldView*> by_name;
  for (const FieldView& field : view.fields) {
    if (field.value.has_value()) by_name[field.name] = &field;
  }
  std::vector<const FieldView*> ordered;
  for (const v1::FieldSpec& spec : schema.fields()) {
    auto it = by_name.find(spec.name());
    if (it == by_name.end()) continue;
    ordered.push_back(it->second);
    by_name.erase(it);
  }
  for (const FieldView& field : view.fields) {
    if (by_name.contains(field.name)) ordered.push_back(&field);
  }
  return ordered;
}

bool IsRequired(const v1::CollectionSchema& schema, const std::string& name) {
  for (const v1::FieldSpec& spec : schema.fields()) {
    if (spec.name() == name) return spec.required();
  }
  return false;
}

std::string ConflictsJson(const RecordView& view) {
  std::string json = "[";
  for (size_t i = 0; i < view.conflict_fields.size(); ++i) {
    absl::StrAppend(&json, i > 0 ? "," : "",
                    JsonQuote(view.conflict_fields[i]));
  }
  json.push_back(']');
  return json;
}

const char* StatusMark(FieldStatus status) {
  switch (status) {
    case FieldStatus::kConflict:
      return "  [conflict: provisional value until an administrator decides]";
    case FieldStatus::kAutoResolved:
      return "  [auto-resolved: latest edit kept]";
    case FieldStatus::kClean:
      break;
  }
  return "";
}

}  // namespace

std::string RecordToJson(const RecordView& view,
                         const v1::CollectionSchema& schema) {
  JsonObject fields;
  for (const FieldView* field : InSchemaOrder(view, schema)) {
    fields.AddRaw(field->name, ValueToJson(*field->value));
  }
  JsonObject record;
  record.AddString("collection", view.key.collection())
      .AddString("id", view.key.id())
      .AddString("village", view.key.village())
      .AddRaw("fields", fields.Build())
      .AddRaw("conflicts", ConflictsJson(view))
      .AddRaw("deleted", view.deleted ? "true" : "false");
  if (view.delete_conflict) record.AddRaw("delete_conflict", "true");
  return record.Build();
}

std::string RecordToText(const RecordView& view,
                         const v1::CollectionSchema& schema) {
  std::string text = absl::StrCat(view.key.collection(), "/", view.key.id(),
                                  " (village ", view.key.village(), ")\n");
  for (const FieldView* field : InSchemaOrder(view, schema)) {
    absl::StrAppend(&text, field->name, ": ", ValueToText(*field->value),
                    StatusMark(field->status), "\n");
  }
  if (view.deleted) absl::StrAppend(&text, "deleted: true\n");
  if (view.delete_conflict) {
    absl::StrAppend(&text,
                    "delete conflict: deleted on one device while edited on "
                    "another; kept until an administrator decides\n");
  }
  return text;
}

std::string RecordToLine(const RecordView& view,
                         const v1::CollectionSchema& schema) {
  std::vector<const FieldView*> fields = InSchemaOrder(view, schema);
  bool has_required = false;
  for (const FieldView* field : fields) {
    has_required = has_required || IsRequired(schema, field->name);
  }
  std::vector<std::string> shown;
  for (const FieldView* field : fields) {
    if (shown.size() == kLineFields) break;
    if (has_required && !IsRequired(schema, field->name)) continue;
    shown.push_back(absl::StrCat(field->name, "=", ValueToText(*field->value)));
  }
  std::string line = absl::StrCat(view.key.id(), "  ", view.key.village(), "  ",
                                  absl::StrJoin(shown, "  "));
  if (!view.conflict_fields.empty()) {
    absl::StrAppend(
        &line, "  [conflict: ", absl::StrJoin(view.conflict_fields, ","), "]");
  }
  if (view.delete_conflict) absl::StrAppend(&line, "  [delete conflict]");
  return line;
}

}  // namespace cli
}  // namespace villagesync
