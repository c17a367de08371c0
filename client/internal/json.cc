#include "client/internal/json.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/internal/value_text.h"

namespace villagesync {
namespace cli {
namespace {

void AppendEscaped(char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default:
      break;
  }
  if (static_cast<unsigned char>(c) < 0x20) {
    absl::StrAppend(out, "\\u00",
                    absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
  } else {
    out->push_back(c);
  }
}

std::string ListToJson(const v1::StringList& list) {
  std::string json = "[";
  for (int i = 0; i < list.items_size(); ++i) {
    absl::StrAppend(&json, i > 0 ? "," : "", JsonQuote(list.items(i)));
  }
  json.push_back(']');
  return json;
}

}  // namespace

std::string JsonQuote(absl::string_view text) {
  std::string json = "\"";
  json.reserve(text.size() + 2);
  for (char c : text) AppendEscaped(c, &json);
  json.push_back('"');
  return json;
}

std::string ValueToJson(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::Value::kMoneyFen:
      return absl::StrCat(value.money_fen());
    case v1::Value::kDoubleValue:
      return std::isfinite(value.double_value())
                 ? DoubleToText(value.double_value())
                 : "null";
    case v1::Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case v1::Value::kStringList:
      return ListToJson(value.string_list());
    case v1::Value::KIND_NOT_SET:
      return "null";
    default:
      // Strings, enums, dates, timestamps and refs: their text form, quoted.
      return JsonQuote(ValueToText(value));
  }
}

std::string JsonArrayLines(const std::vector<std::string>& elements) {
  if (elements.empty()) return "[]";
  return absl::StrCat("[\n", absl::StrJoin(elements, ",\n"), "\n]");
}

JsonObject& JsonObject::AddRaw(absl::string_view key, absl::string_view json) {
  absl::StrAppend(&members_, members_.empty() ? "" : ",", JsonQuote(key), ":",
                  json);
  return *this;
}

JsonObject& JsonObject::AddString(absl::string_view key,
                                  absl::string_view text) {
  return AddRaw(key, JsonQuote(text));
}

std::string JsonObject::Build() const {
  return absl::StrCat("{", members_, "}");
}

}  // namespace cli
}  // namespace villagesync
