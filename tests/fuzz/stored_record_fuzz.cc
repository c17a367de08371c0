// Fuzzes what a store reads back from RocksDB: a record row
// (storage::StoredRecord) viewed through each built-in collection's schema
// (fields, provisional winners, conflicts, deletes) and joined with itself,
// and a Pull checkpoint as a device sends it. A damaged or hostile row must
// not crash the reader; joining a well-formed register with itself changes
// nothing.
#include <cstdint>
#include <string>

#include "proto/schema.pb.h"
#include "storage/builtin_schemas.h"
#include "storage/causal_context.h"
#include "storage/field_merge.h"
#include "storage/record_format.pb.h"
#include "storage/record_store.h"
#include "storage/record_view.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// As storage/validation.cc admits a register: a well-formed context that
// covers every value's dot, values sorted by dot without repeats.
bool WellFormed(const villagesync::v1::FieldState& state) {
  using namespace villagesync;
  if (!IsWellFormed(state.context())) return false;
  for (int i = 0; i < state.siblings_size(); ++i) {
    const v1::Dot& dot = state.siblings(i).dot();
    if (dot.replica() == 0 || dot.counter() == 0) return false;
    if (!Covers(state.context(), dot)) return false;
    if (i > 0 && !DotLess(state.siblings(i - 1).dot(), dot)) return false;
  }
  return true;
}

}  // namespace

VILLAGESYNC_FUZZ_NO_INITIALIZE

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace villagesync;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)RecordStore::CheckpointSeq(bytes);
  Record record;
  if (size == 0 || !record.stored.ParseFromString(bytes.substr(1))) return 0;
  static const v1::SchemaSet* schemas = new v1::SchemaSet(BuiltinSchemas());
  const v1::CollectionSchema& schema =
      schemas->collections(data[0] % schemas->collections_size());
  record.key.set_collection(schema.name());
  (void)ViewRecord(record, schema);
  (void)DeriveConflicts(record, schema);
  (void)DeleteDots(record.stored);
  for (const storage::StoredField& field : record.stored.fields()) {
    // The join's algebra holds for registers as validation admits them
    // (what a store can hold); a damaged row need only not crash.
    if (!WellFormed(field.state())) continue;
    v1::FieldState joined;
    JoinFieldState(&joined, field.state());
    v1::FieldState again = joined;
    fuzz::Check(!JoinFieldState(&again, joined),
                "joining a register with itself changed it");
  }
  return 0;
}
