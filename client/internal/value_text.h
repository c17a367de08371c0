// The text forms of field values on the villagesync command line: parsing a
// FIELD=VALUE argument by the field's schema type, and showing a stored value
// the same way, so what `get` prints can be typed back into `put`.
// Internal to client/.
#ifndef VILLAGESYNC_CLIENT_INTERNAL_VALUE_TEXT_H_
#define VILLAGESYNC_CLIENT_INTERNAL_VALUE_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/records.pb.h"
#include "proto/schema.pb.h"

namespace villagesync {
namespace cli {

// Parses `text` as a value of `spec`'s type:
//   string, enum      as is (enum values are checked by the store)
//   int64, double     decimal numbers
//   bool              true/false, 1/0, yes/no, 是/否
//   date              YYYY-MM-DD
//   timestamp         RFC 3339 ("2024-05-10T08:30:00+08:00") or integer
//                     microseconds since the epoch
//   money             yuan with up to 2 decimals ("6.00", "82000"), or with
//                     the suffix 万 ("8.2万"); an optional 元 suffix
//   ref               VILLAGE/COLLECTION/ID
//   string list       items separated by "," "，" or "、" (no items:
//                     cleared)
// An empty `text` is a cleared value (no kind set). INVALID_ARGUMENT naming
// the field ("join_date: ...") if `text` is not a value of that type.
absl::StatusOr<v1::Value> ParseValue(const v1::FieldSpec& spec,
                                     absl::string_view text);

// The value as ParseValue accepts it back: money as yuan with 2 decimals,
// dates as YYYY-MM-DD, timestamps as RFC 3339 UTC, lists joined by ",",
// refs as VILLAGE/COLLECTION/ID. A cleared value is "".
std::string ValueToText(const v1::Value& value);

// Pieces shared with the JSON output.
std::string DateToText(int32_t days_since_epoch);
// RFC 3339 with the offset of `zone` ("+00:00" in UTC).
std::string TimestampToText(int64_t micros,
                            absl::TimeZone zone = absl::UTCTimeZone());
std::string RefToText(const v1::RecordKey& key);
// Shortest decimal text that reads back as the same double.
std::string DoubleToText(double value);

}  // namespace cli
}  // namespace villagesync

#endif  // VILLAGESYNC_CLIENT_INTERNAL_VALUE_TEXT_H_
