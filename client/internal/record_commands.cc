// put, get, list and delete: the commands that work on the local store only,
// offline.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/internal/cli_commands.h"
#include "client/internal/record_id.h"
#include "client/internal/record_output.h"
#include "client/internal/value_text.h"
#include "proto/status_macros.h"
#include "storage/record_store.h"
#include "storage/record_view.h"
#include "storage/validation.h"

namespace villagesync {
namespace cli {
namespace {

// Records read from the store per List call.
constexpr size_t kPageSize = 500;

using Assignments = std::vector<std::pair<std::string, std::string>>;

absl::StatusOr<const v1::CollectionSchema*> FindSchema(
    const SchemaRegistry& schemas, const std::string& name) {
  const v1::CollectionSchema* schema = schemas.FindCollection(name);
  if (schema != nullptr) return schema;
  std::vector<std::string> names;
  for (const v1::CollectionSchema& c : schemas.schemas().collections()) {
    names.push_back(c.name());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("collection: unknown collection ", Quoted(name),
                   " (known: ", absl::StrJoin(names, ", "), ")"));
}

// --village of list (a code or a prefix) or of get and delete (a code);
// empty means every village.
absl::Status CheckVillageFlag(const ParsedArgs& args, bool prefix_allowed) {
  const std::string& village = args.Get("village");
  if (village.empty()) return absl::OkStatus();
  if (prefix_allowed ? IsVillagePrefix(village) : IsVillageCode(village)) {
    return absl::OkStatus();
  }
  return UsageError(absl::StrCat(
      "--village must be ",
      prefix_allowed ? "a village code or its first digits (up to 12)"
                     : "a 12-digit village code",
      ", not ", Quoted(village)));
}

// Splits FIELD=VALUE arguments; their values are parsed later, by type.
absl::StatusOr<Assignments> SplitAssignments(
    const std::vector<std::string>& args) {
  Assignments assignments;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& arg : args) {
    size_t equals = arg.find('=');
    if (equals == std::string::npos || equals == 0) {
      return UsageError(
          absl::StrCat("expected FIELD=VALUE, got ", Quoted(arg)));
    }
    std::string field = arg.substr(0, equals);
    if (!seen.insert(field).second) {
      return UsageError(absl::StrCat("field ", Bounded(field), " given twice"));
    }
    assignments.emplace_back(std::move(field), arg.substr(equals + 1));
  }
  return assignments;
}

absl::Status UnknownField(const v1::CollectionSchema& schema,
                          const std::string& field) {
  return absl::InvalidArgumentError(absl::StrCat(
      Bounded(field), ": unknown field of collection \"", schema.name(),
      "\" (`villagesync schema show ", schema.name(), "` lists its fields)"));
}

absl::Status AddFields(const SchemaRegistry& schemas,
                       const v1::CollectionSchema& schema,
                       const Assignments& assignments, LocalEdit* edit) {
  for (const auto& [field, text] : assignments) {
    const v1::FieldSpec* spec = schemas.FindField(schema.name(), field);
    if (spec == nullptr) return UnknownField(schema, field);
    VS_ASSIGN_OR_RETURN(v1::Value value, ParseValue(*spec, text));
    edit->fields.emplace_back(field, std::move(value));
  }
  return absl::OkStatus();
}

// Calls `visit` for every record of `collection` under `village_prefix`,
// deleted ones included, in key order.
absl::Status ForEachRecord(const RecordStore& store,
                           const std::string& collection,
                           const std::string& village_prefix,
                           const std::function<void(const Record&)>& visit) {
  std::string after;
  for (;;) {
    VS_ASSIGN_OR_RETURN(
        std::vector<Record> page,
        store.List(collection, village_prefix, kPageSize, after));
    for (const Record& record : page) visit(record);
    if (page.size() < kPageSize) return absl::OkStatus();
    after = absl::StrCat(page.back().key.village(), "/", page.back().key.id());
  }
}

absl::StatusOr<Record> FindInVillage(const RecordStore& store,
                                     const v1::RecordKey& key) {
  absl::StatusOr<Record> record = store.Get(key);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat("no record ", key.collection(), "/",
                                            Bounded(key.id()), " in village ",
                                            key.village()));
  }
  return record;
}

// The record `id` of `collection`: in `village` if given, otherwise in the
// one village where the id exists.
absl::StatusOr<Record> FindRecord(const RecordStore& store,
                                  const std::string& collection,
                                  const std::string& id,
                                  const std::string& village) {
  v1::RecordKey key;
  key.set_village(village);
  key.set_collection(collection);
  key.set_id(id);
  if (!village.empty()) return FindInVillage(store, key);
  std::vector<Record> matches;
  VS_RETURN_IF_ERROR(ForEachRecord(store, collection, "", [&](const Record& r) {
    if (r.key.id() == id) matches.push_back(r);
  }));
  if (matches.size() == 1) return std::move(matches[0]);
  if (matches.empty()) {
    return absl::NotFoundError(absl::StrCat("no record ", collection, "/",
                                            Bounded(id), " in this store"));
  }
  std::vector<std::string> villages;
  for (const Record& r : matches) villages.push_back(r.key.village());
  return absl::FailedPreconditionError(
      absl::StrCat(collection, "/", Bounded(id), " exists in villages ",
                   absl::StrJoin(villages, ", "), ": add --village CODE"));
}

}  // namespace

absl::Status RunPut(CliContext& ctx, const ParsedArgs& args) {
  VS_ASSIGN_OR_RETURN(
      Assignments assignments,
      SplitAssignments({args.positional.begin() + 1, args.positional.end()}));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  VS_RETURN_IF_ERROR(client->CheckWritable(args.Get("village")));
  RecordStore& store = client->store();
  VS_ASSIGN_OR_RETURN(const v1::CollectionSchema* schema,
                      FindSchema(store.schemas(), args.positional[0]));
  LocalEdit edit;
  edit.key.set_village(args.Get("village"));
  edit.key.set_collection(schema->name());
  edit.key.set_id(args.Has("id") ? args.Get("id") : NewRecordId());
  VS_RETURN_IF_ERROR(AddFields(store.schemas(), *schema, assignments, &edit));
  edit.author = client->author();
  VS_RETURN_IF_ERROR(store.Put(edit).status());
  ctx.out() << edit.key.id() << "\n";
  return absl::OkStatus();
}

absl::Status RunGet(CliContext& ctx, const ParsedArgs& args) {
  VS_RETURN_IF_ERROR(CheckVillageFlag(args, false));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  const RecordStore& store = client->store();
  VS_ASSIGN_OR_RETURN(const v1::CollectionSchema* schema,
                      FindSchema(store.schemas(), args.positional[0]));
  VS_ASSIGN_OR_RETURN(Record record,
                      FindRecord(store, schema->name(), args.positional[1],
                                 args.Get("village")));
  RecordView view = ViewRecord(record, *schema);
  if (args.Has("json")) {
    ctx.out() << RecordToJson(view, *schema) << "\n";
  } else {
    ctx.out() << RecordToText(view, *schema);
  }
  return absl::OkStatus();
}

absl::Status RunList(CliContext& ctx, const ParsedArgs& args) {
  VS_RETURN_IF_ERROR(CheckVillageFlag(args, true));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  const RecordStore& store = client->store();
  VS_ASSIGN_OR_RETURN(const v1::CollectionSchema* schema,
                      FindSchema(store.schemas(), args.positional[0]));
  bool json = args.Has("json");
  bool first = true;
  std::ostream& out = ctx.out();
  if (json) out << "[";
  VS_RETURN_IF_ERROR(ForEachRecord(
      store, schema->name(), args.Get("village"), [&](const Record& record) {
        RecordView view = ViewRecord(record, *schema);
        if (view.deleted) return;
        if (json) {
          out << (first ? "\n" : ",\n") << RecordToJson(view, *schema);
        } else {
          out << RecordToLine(view, *schema) << "\n";
        }
        first = false;
      }));
  if (json) out << (first ? "]\n" : "\n]\n");
  return absl::OkStatus();
}

absl::Status RunDelete(CliContext& ctx, const ParsedArgs& args) {
  VS_RETURN_IF_ERROR(CheckVillageFlag(args, false));
  VS_ASSIGN_OR_RETURN(SyncClient * client, ctx.Client());
  RecordStore& store = client->store();
  VS_ASSIGN_OR_RETURN(const v1::CollectionSchema* schema,
                      FindSchema(store.schemas(), args.positional[0]));
  VS_ASSIGN_OR_RETURN(Record record,
                      FindRecord(store, schema->name(), args.positional[1],
                                 args.Get("village")));
  VS_RETURN_IF_ERROR(client->CheckWritable(record.key.village()));
  VS_RETURN_IF_ERROR(store.Delete(record.key, client->author()).status());
  ctx.out() << "deleted " << schema->name() << "/" << record.key.id()
            << " (village " << record.key.village() << ")\n";
  return absl::OkStatus();
}

}  // namespace cli
}  // namespace villagesync
