// SchemaRegistry answers "which collections and fields exist, of what type,
// under which merge policy" (SPEC §3) for validation and merging.
#ifndef VILLAGESYNC_STORAGE_SCHEMA_REGISTRY_H_
#define VILLAGESYNC_STORAGE_SCHEMA_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "proto/schema.pb.h"

namespace villagesync {

// An immutable, indexed snapshot of one schema version. Thread-safe.
class SchemaRegistry {
 public:
  explicit SchemaRegistry(v1::SchemaSet schemas);

  // The built-in collections of DOMAIN.md (version 1).
  static std::shared_ptr<const SchemaRegistry> Builtin();

  // The collection named `name`, or null if there is none.
  const v1::CollectionSchema* FindCollection(absl::string_view name) const;

  // The field `field` of `collection`, or null if either is unknown.
  const v1::FieldSpec* FindField(absl::string_view collection,
                                 absl::string_view field) const;

  const v1::SchemaSet& schemas() const { return schemas_; }
  uint64_t version() const { return schemas_.version(); }

 private:
  struct Collection {
    const v1::CollectionSchema* schema;
    absl::flat_hash_map<std::string, const v1::FieldSpec*> fields;
  };

  // Immutable after construction.
  v1::SchemaSet schemas_;
  absl::flat_hash_map<std::string, Collection> collections_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_SCHEMA_REGISTRY_H_
