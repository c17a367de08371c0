// `schema list` and `schema show`: the collections and fields this device
// validates with, read from its own store (offline).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/internal/cli_commands.h"
#include "client/internal/json.h"
#include "proto/status_macros.h"
#include "storage/validation.h"

namespace villagesync {
namespace cli {
namespace {

std::string TypeText(v1::FieldType type) {
  switch (type) {
    case v1::FIELD_TYPE_STRING:
      return "string";
    case v1::FIELD_TYPE_INT64:
      return "int";
    case v1::FIELD_TYPE_DOUBLE:
      return "double";
    case v1::FIELD_TYPE_BOOL:
      return "bool";
    case v1::FIELD_TYPE_DATE:
      return "date";
    case v1::FIELD_TYPE_TIMESTAMP:
      return "timestamp";
    case v1::FIELD_TYPE_MONEY:
      return "money";
    case v1::FIELD_TYPE_ENUM:
      return "enum";
    case v1::FIELD_TYPE_REF:
      return "ref";
    case v1::FIELD_TYPE_STRING_LIST:
      return "list";
    default:
      return "unknown";
  }
}

std::string MergeText(v1::MergePolicy policy) {
  switch (policy) {
    case v1::MERGE_POLICY_LWW:
      return "lww";
    case v1::MERGE_POLICY_UNION:
      return "union";
    default:
      return "review";
  }
}

std::string KindText(v1::CollectionKind kind) {
  return kind == v1::COLLECTION_KIND_APPEND_ONLY ? "append-only" : "mutable";
}

std::string JsonStrings(
    const google::protobuf::RepeatedPtrField<std::string>& strings) {
  std::vector<std::string> quoted;
  for (const std::string& s : strings) quoted.push_back(JsonQuote(s));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

// "  name  string  required pii  enum 男|女  0..100  ≤ due  merge lww
//  writable by township  — description"
std::string FieldLine(const v1::FieldSpec& field) {
  std::vector<std::string> parts = {field.name(), TypeText(field.type())};
  if (field.required()) parts.push_back("required");
  if (field.pii()) parts.push_back("pii");
  if (field.enum_values_size() > 0) {
    parts.push_back(
        absl::StrCat("values ", absl::StrJoin(field.enum_values(), "|")));
  }
  if (field.has_min_value() || field.has_max_value()) {
    parts.push_back(absl::StrCat(
        field.has_min_value() ? absl::StrCat(field.min_value()) : "", "..",
        field.has_max_value() ? absl::StrCat(field.max_value()) : ""));
  }
  if (!field.at_most_field().empty()) {
    parts.push_back(absl::StrCat("at most ", field.at_most_field()));
  }
  parts.push_back(absl::StrCat("merge ", MergeText(field.merge_policy())));
  if (field.writable_by_size() > 0) {
    parts.push_back(
        absl::StrCat("writable by ", absl::StrJoin(field.writable_by(), ",")));
  }
  return absl::StrCat("  ", absl::StrJoin(parts, "  "), "  — ",
                      field.description());
}

std::string FieldJson(const v1::FieldSpec& field) {
  JsonObject json;
  json.AddString("name", field.name())
      .AddString("type", TypeText(field.type()))
      .AddRaw("required", field.required() ? "true" : "false")
      .AddRaw("pii", field.pii() ? "true" : "false")
      .AddRaw("enum_values", JsonStrings(field.enum_values()))
      .AddRaw("min",
              field.has_min_value() ? absl::StrCat(field.min_value()) : "null")
      .AddRaw("max",
              field.has_max_value() ? absl::StrCat(field.max_value()) : "null")
      .AddRaw("at_most_field", field.at_most_field().empty()
                                   ? "null"
                                   : JsonQuote(field.at_most_field()))
      .AddString("merge", MergeText(field.merge_policy()))
      .AddRaw("writable_by", JsonStrings(field.writable_by()))
      .AddString("description", field.description());
  return json.Build();
}

std::string CollectionJson(const v1::CollectionSchema& schema) {
  std::vector<std::string> fields;
  for (const v1::FieldSpec& field : schema.fields()) {
    fields.push_back(FieldJson(field));
  }
  JsonObject json;
  json.AddString("name", schema.name())
      .AddString("kind", KindText(schema.kind()))
      .AddString("description", schema.description())
      .AddString("owner", schema.owner())
      .AddString("purpose", schema.purpose())
      .AddRaw("fields", JsonArrayLines(fields));
  return json.Build();
}

}  // namespace

absl::Status RunSchemaList(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  const v1::SchemaSet& set = client->store().schemas().schemas();
  if (args.Has("json")) {
    std::vector<std::string> objects;
    for (const v1::CollectionSchema& c : set.collections()) {
      JsonObject json;
      json.AddString("name", c.name())
          .AddString("kind", KindText(c.kind()))
          .AddRaw("fields", absl::StrCat(c.fields_size()))
          .AddString("description", c.description());
      objects.push_back(json.Build());
    }
    ctx.out() << JsonArrayLines(objects) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << "schema version " << set.version() << "\n";
  for (const v1::CollectionSchema& c : set.collections()) {
    ctx.out() << c.name() << "  " << KindText(c.kind()) << "  "
              << c.fields_size() << " fields  — " << c.description() << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunSchemaShow(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  const SchemaRegistry& schemas = client->store().schemas();
  const v1::CollectionSchema* schema =
      schemas.FindCollection(args.positional[0]);
  if (schema == nullptr) {
    std::vector<std::string> names;
    for (const v1::CollectionSchema& c : schemas.schemas().collections()) {
      names.push_back(c.name());
    }
    return absl::NotFoundError(absl::StrCat(
        "collection: unknown collection ", Quoted(args.positional[0]),
        " (known: ", absl::StrJoin(names, ", "), ")"));
  }
  if (args.Has("json")) {
    ctx.out() << CollectionJson(*schema) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << schema->name() << "  " << KindText(schema->kind()) << "  — "
            << schema->description() << "\n"
            << "owner: " << schema->owner()
            << "; purpose: " << schema->purpose() << "\nfields:\n";
  for (const v1::FieldSpec& field : schema->fields()) {
    ctx.out() << FieldLine(field) << "\n";
  }
  return absl::OkStatus();
}

}  // namespace cli
}  // namespace villagesync
