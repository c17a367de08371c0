#include "storage/schema_registry.h"

#include "storage/builtin_schemas.h"

namespace villagesync {

SchemaRegistry::SchemaRegistry(v1::SchemaSet schemas)
    : schemas_(std::move(schemas)) {
  for (const v1::CollectionSchema& c : schemas_.collections()) {
    Collection& entry = collections_[c.name()];
    entry.schema = &c;
    for (const v1::FieldSpec& f : c.fields()) entry.fields[f.name()] = &f;
  }
}

std::shared_ptr<const SchemaRegistry> SchemaRegistry::Builtin() {
  static const auto* const builtin = new std::shared_ptr<const SchemaRegistry>(
      std::make_shared<SchemaRegistry>(BuiltinSchemas()));
  return *builtin;
}

const v1::CollectionSchema* SchemaRegistry::FindCollection(
    absl::string_view name) const {
  auto it = collections_.find(name);
  return it == collections_.end() ? nullptr : it->second.schema;
}

const v1::FieldSpec* SchemaRegistry::FindField(absl::string_view collection,
                                               absl::string_view field) const {
  auto it = collections_.find(collection);
  if (it == collections_.end()) return nullptr;
  auto f = it->second.fields.find(field);
  return f == it->second.fields.end() ? nullptr : f->second;
}

}  // namespace villagesync
