// Minimal JSON output for the villagesync command line (`--json`): quoted
// UTF-8 strings, typed field values and objects built member by member.
// Only output: the CLI never reads JSON. Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_JSON_H_
#define VILLAGESYNC_CLIENT_INTERNAL_JSON_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/records.pb.h"

namespace villagesync {
namespace cli {

// `text` as a JSON string: UTF-8 passes through (Chinese stays readable);
// only '"', '\\' and control characters are escaped.
std::string JsonQuote(absl::string_view text);

// A field value as JSON: strings and enums as strings, int64 and money (fen)
// as integers, doubles as numbers (null if not finite), bool as true/false,
// dates "YYYY-MM-DD", timestamps RFC 3339 UTC strings, refs
// "VILLAGE/COLLECTION/ID", lists as arrays of strings; a cleared value is
// null.
std::string ValueToJson(const v1::Value& value);

// A JSON array of `elements` (each already JSON text), one per line:
// "[\nA,\nB\n]", or "[]" if there are none; no final newline.
std::string JsonArrayLines(const std::vector<std::string>& elements);

// Builds one JSON object; members appear in the order they are added.
// Not thread-safe.
class JsonObject {
 public:
  // Adds a member whose value is already JSON text.
  JsonObject& AddRaw(absl::string_view key, absl::string_view json);
  // Adds a member whose value is the string `text`.
  JsonObject& AddString(absl::string_view key, absl::string_view text);
  // "{...}", compact, on one line.
  std::string Build() const;

 private:
  std::string members_;
};

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_JSON_H_
