// Fuzzes the CLI's value parsing (FIELD=VALUE of `villagesync put`) for
// every field of the built-in collections: any text is a value or an
// INVALID_ARGUMENT naming the field, and a value parsed once reads back as
// the same value (ValueToText is what ParseValue accepts).
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/internal/value_text.h"
#include "proto/schema.pb.h"
#include "storage/builtin_schemas.h"
#include "storage/field_merge.h"
#include "tests/fuzz/fuzz_check.h"

VILLAGESYNC_FUZZ_NO_INITIALIZE

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace villagesync;
  if (size < 2) return 0;
  static const v1::SchemaSet* schemas = new v1::SchemaSet(BuiltinSchemas());
  const v1::CollectionSchema& collection =
      schemas->collections(data[0] % schemas->collections_size());
  if (collection.fields_size() == 0) return 0;
  const v1::FieldSpec& spec =
      collection.fields(data[1] % collection.fields_size());
  std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  absl::StatusOr<v1::Value> value = cli::ParseValue(spec, text);
  if (!value.ok()) {
    fuzz::Check(absl::IsInvalidArgument(value.status()) &&
                    absl::StartsWith(value.status().message(), spec.name()),
                absl::StrCat(spec.name(), ": ", value.status().ToString()));
    return 0;
  }
  std::string shown = cli::ValueToText(*value);
  absl::StatusOr<v1::Value> again = cli::ParseValue(spec, shown);
  fuzz::Check(again.ok() && ValueEquals(*value, *again),
              absl::StrCat(spec.name(), ": '", text, "' reads back from '",
                           shown, "' as ", again.status().ToString()));
  return 0;
}
