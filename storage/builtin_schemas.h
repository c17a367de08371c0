// The collections villagesync ships with (SPEC §3, DOMAIN.md): the village
// records a county needs from day one, with their field types, required
// fields, enum values, PII flags, writer roles and merge policies.
#ifndef VILLAGESYNC_STORAGE_BUILTIN_SCHEMAS_H_
#define VILLAGESYNC_STORAGE_BUILTIN_SCHEMAS_H_

#include "proto/schema.pb.h"

namespace villagesync {

// Returns the built-in schema set (version 1), collections sorted by name.
// Every collection has at most 5 required fields; every enum field lists its
// values in Chinese as users type them.
v1::SchemaSet BuiltinSchemas();

}  // namespace villagesync

#endif  // VILLAGESYNC_STORAGE_BUILTIN_SCHEMAS_H_
