#include "client/internal/value_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "storage/validation.h"

namespace villagesync {
namespace cli {
namespace {

constexpr absl::CivilDay kEpoch(1970, 1, 1);

absl::Status Invalid(const v1::FieldSpec& spec, absl::string_view text,
                     absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(spec.name(), ": ", Quoted(text), " is not ", expected));
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<v1::Value> ParseInt(const v1::FieldSpec& spec,
                                   absl::string_view text) {
  int64_t number;
  if (!absl::SimpleAtoi(text, &number)) {
    return Invalid(spec, text, "a whole number (int64)");
  }
  v1::Value value;
  value.set_int_value(number);
  return value;
}

absl::StatusOr<v1::Value> ParseDouble(const v1::FieldSpec& spec,
                                      absl::string_view text) {
  double number;
  if (!absl::SimpleAtod(text, &number) || !std::isfinite(number)) {
    return Invalid(spec, text, "a finite number");
  }
  v1::Value value;
  value.set_double_value(number);
  return value;
}

absl::StatusOr<v1::Value> ParseBool(const v1::FieldSpec& spec,
                                    absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  v1::Value value;
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "是") {
    value.set_bool_value(true);
  } else if (lower == "false" || lower == "0" || lower == "no" ||
             lower == "否") {
    value.set_bool_value(false);
  } else {
    return Invalid(spec, text,
                   "a yes/no value (true/false, 1/0, yes/no, 是/否)");
  }
  return value;
}

// Strict YYYY-MM-DD: CivilDay normalizes "2024-13-40" into 2025, so the
// fields are compared after construction.
absl::StatusOr<v1::Value> ParseDate(const v1::FieldSpec& spec,
                                    absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  int year = 0, month = 0, day = 0;
  bool ok =
      parts.size() == 3 && parts[0].size() == 4 && parts[1].size() <= 2 &&
      parts[2].size() <= 2 && AllDigits(parts[0]) && AllDigits(parts[1]) &&
      AllDigits(parts[2]) && absl::SimpleAtoi(parts[0], &year) &&
      absl::SimpleAtoi(parts[1], &month) && absl::SimpleAtoi(parts[2], &day);
  absl::CivilDay civil(year, month, day);
  if (!ok || civil.year() != year || civil.month() != month ||
      civil.day() != day) {
    return Invalid(spec, text, "a date (YYYY-MM-DD)");
  }
  v1::Value value;
  value.mutable_date_value()->set_days(static_cast<int32_t>(civil - kEpoch));
  return value;
}

absl::StatusOr<v1::Value> ParseTimestamp(const v1::FieldSpec& spec,
                                         absl::string_view text) {
  v1::Value value;
  int64_t micros;
  absl::string_view digits = text;
  absl::ConsumePrefix(&digits, "-");
  if (!digits.empty() && AllDigits(digits) && absl::SimpleAtoi(text, &micros)) {
    value.set_timestamp_micros(micros);
    return value;
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return Invalid(spec, text,
                   "a time (RFC 3339, e.g. 2024-05-10T08:30:00+08:00, or "
                   "microseconds since 1970)");
  }
  value.set_timestamp_micros(absl::ToUnixMicros(time));
  return value;
}

// "[-]W[.F]" in units of `unit` fen, F at most `decimals` digits.
bool ParseFen(absl::string_view text, int64_t unit, size_t decimals,
              int64_t* fen) {
  bool negative = absl::ConsumePrefix(&text, "-");
  absl::string_view whole = text, fraction;
  size_t dot = text.find('.');
  if (dot != absl::string_view::npos) {
    whole = text.substr(0, dot);
    fraction = text.substr(dot + 1);
    if (fraction.empty()) return false;
  }
  if (whole.empty() || !AllDigits(whole) || !AllDigits(fraction) ||
      fraction.size() > decimals) {
    return false;
  }
  int64_t w = 0, f = 0;
  std::string padded(fraction);
  padded.append(decimals - fraction.size(), '0');
  if (!absl::SimpleAtoi(whole, &w) || !absl::SimpleAtoi(padded, &f) ||
      w > (std::numeric_limits<int64_t>::max() - f) / unit) {
    return false;
  }
  *fen = negative ? -(w * unit + f) : w * unit + f;
  return true;
}

absl::StatusOr<v1::Value> ParseMoney(const v1::FieldSpec& spec,
                                     absl::string_view text) {
  absl::string_view number = absl::StripAsciiWhitespace(text);
  absl::ConsumeSuffix(&number, "元");
  bool wan = absl::ConsumeSuffix(&number, "万");
  int64_t fen;
  if (!ParseFen(number, wan ? 1000000 : 100, wan ? 6 : 2, &fen)) {
    return Invalid(spec, text,
                   "an amount in yuan with at most 2 decimals (6.00, 82000, "
                   "8.2万)");
  }
  v1::Value value;
  value.set_money_fen(fen);
  return value;
}

absl::StatusOr<v1::Value> ParseRef(const v1::FieldSpec& spec,
                                   absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() ||
      parts[2].empty()) {
    return Invalid(spec, text, "a record reference (VILLAGE/COLLECTION/ID)");
  }
  v1::Value value;
  v1::RecordKey* key = value.mutable_ref_value();
  key->set_village(parts[0]);
  key->set_collection(parts[1]);
  key->set_id(parts[2]);
  return value;
}

v1::Value ParseList(absl::string_view text) {
  std::string commas = absl::StrReplaceAll(text, {{"，", ","}, {"、", ","}});
  v1::Value value;
  v1::StringList* list = value.mutable_string_list();
  for (absl::string_view item :
       absl::StrSplit(commas, ',', absl::SkipWhitespace())) {
    list->add_items(std::string(absl::StripAsciiWhitespace(item)));
  }
  // Separators alone ("," or "、") are no items: a cleared value, as "" is,
  // so that what ValueToText shows ("") reads back the same.
  if (list->items_size() == 0) value.clear_string_list();
  return value;
}

v1::Value Text(absl::string_view text, bool is_enum) {
  v1::Value value;
  if (is_enum) {
    value.set_enum_value(std::string(text));
  } else {
    value.set_string_value(std::string(text));
  }
  return value;
}

std::string MoneyToText(int64_t fen) {
  uint64_t magnitude =
      fen < 0 ? 0 - static_cast<uint64_t>(fen) : static_cast<uint64_t>(fen);
  uint64_t cents = magnitude % 100;
  return absl::StrCat(fen < 0 ? "-" : "", magnitude / 100, ".",
                      cents < 10 ? "0" : "", cents);
}

}  // namespace

absl::StatusOr<v1::Value> ParseValue(const v1::FieldSpec& spec,
                                     absl::string_view text) {
  if (text.empty()) return v1::Value();
  switch (spec.type()) {
    case v1::FIELD_TYPE_STRING:
    case v1::FIELD_TYPE_ENUM:
      return Text(text, spec.type() == v1::FIELD_TYPE_ENUM);
    case v1::FIELD_TYPE_INT64:
      return ParseInt(spec, text);
    case v1::FIELD_TYPE_DOUBLE:
      return ParseDouble(spec, text);
    case v1::FIELD_TYPE_BOOL:
      return ParseBool(spec, text);
    case v1::FIELD_TYPE_DATE:
      return ParseDate(spec, text);
    case v1::FIELD_TYPE_TIMESTAMP:
      return ParseTimestamp(spec, text);
    case v1::FIELD_TYPE_MONEY:
      return ParseMoney(spec, text);
    case v1::FIELD_TYPE_REF:
      return ParseRef(spec, text);
    case v1::FIELD_TYPE_STRING_LIST:
      return ParseList(text);
    default:
      return absl::FailedPreconditionError(
          absl::StrCat(spec.name(), ": the schema declares no usable type"));
  }
}

std::string ValueToText(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kEnumValue:
      return value.enum_value();
    case v1::Value::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::Value::kDoubleValue:
      return DoubleToText(value.double_value());
    case v1::Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case v1::Value::kDateValue:
      return DateToText(value.date_value().days());
    case v1::Value::kTimestampMicros:
      return TimestampToText(value.timestamp_micros());
    case v1::Value::kMoneyFen:
      return MoneyToText(value.money_fen());
    case v1::Value::kRefValue:
      return RefToText(value.ref_value());
    case v1::Value::kStringList:
      return absl::StrJoin(value.string_list().items(), ",");
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return "";
}

std::string DateToText(int32_t days_since_epoch) {
  // Four digits of year, as ParseValue reads them (FormatCivilTime would
  // print the year 997 as "997").
  absl::CivilDay day = kEpoch + days_since_epoch;
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string TimestampToText(int64_t micros, absl::TimeZone zone) {
  return absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(micros),
                          zone);
}

std::string RefToText(const v1::RecordKey& key) {
  return absl::StrCat(key.village(), "/", key.collection(), "/", key.id());
}

std::string DoubleToText(double value) {
  char buffer[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (precision == 17 || std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

}  // namespace cli
}  // namespace villagesync
