#include "storage/validation.h"

#include <cstring>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/status_macros.h"
#include "storage/causal_context.h"
#include "storage/field_merge.h"

namespace villagesync {
namespace {

// The length of the well-formed UTF-8 sequence at `p` (Unicode Table 3-7:
// no overlong forms, no surrogates, nothing above U+10FFFF); 0 if there is
// none.
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  auto cont = [&](int i) { return (p[i] & 0xC0) == 0x80; };
  unsigned char c = *p;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return end - p >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (end - p < 3 || !cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (end - p < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The Value case each field type requires.
v1::Value::KindCase KindFor(v1::FieldType type) {
  switch (type) {
    case v1::FIELD_TYPE_STRING:
      return v1::Value::kStringValue;
    case v1::FIELD_TYPE_INT64:
      return v1::Value::kIntValue;
    case v1::FIELD_TYPE_DOUBLE:
      return v1::Value::kDoubleValue;
    case v1::FIELD_TYPE_BOOL:
      return v1::Value::kBoolValue;
    case v1::FIELD_TYPE_DATE:
      return v1::Value::kDateValue;
    case v1::FIELD_TYPE_TIMESTAMP:
      return v1::Value::kTimestampMicros;
    case v1::FIELD_TYPE_MONEY:
      return v1::Value::kMoneyFen;
    case v1::FIELD_TYPE_ENUM:
      return v1::Value::kEnumValue;
    case v1::FIELD_TYPE_REF:
      return v1::Value::kRefValue;
    case v1::FIELD_TYPE_STRING_LIST:
      return v1::Value::kStringList;
    default:
      return v1::Value::KIND_NOT_SET;
  }
}

bool IsDeclared(const v1::FieldSpec& spec, const std::string& value) {
  for (const std::string& allowed : spec.enum_values()) {
    if (allowed == value) return true;
  }
  return false;
}

absl::Status CheckEnum(const v1::FieldSpec& spec, const std::string& value) {
  if (spec.enum_values().empty() || IsDeclared(spec, value)) {
    return absl::OkStatus();
  }
  return InvalidField(spec.name(),
                      absl::StrCat(Quoted(value), " is not one of ",
                                   absl::StrJoin(spec.enum_values(), ", ")));
}

absl::Status CheckText(const v1::FieldSpec& spec, const std::string& text) {
  if (text.size() > kMaxStringValueBytes) {
    return InvalidField(
        spec.name(),
        absl::StrCat("value of ", text.size(), " bytes exceeds the limit of ",
                     kMaxStringValueBytes, " bytes"));
  }
  if (!IsValidUtf8(text))
    return InvalidField(spec.name(), "text is not valid UTF-8");
  return absl::OkStatus();
}

absl::Status CheckList(const v1::FieldSpec& spec, const v1::StringList& list) {
  if (list.items_size() > kMaxListItems) {
    return InvalidField(spec.name(), absl::StrCat(list.items_size(),
                                                  " items exceed the limit of ",
                                                  kMaxListItems));
  }
  size_t total = 0;
  for (const std::string& item : list.items()) {
    total += item.size();
    VS_RETURN_IF_ERROR(CheckEnum(spec, item));
    if (!IsValidUtf8(item))
      return InvalidField(spec.name(), "text is not valid UTF-8");
  }
  if (total <= kMaxStringValueBytes) return absl::OkStatus();
  return InvalidField(
      spec.name(),
      absl::StrCat("list of ", total, " bytes exceeds the limit of ",
                   kMaxStringValueBytes, " bytes"));
}

absl::Status CheckDots(absl::string_view field, const v1::FieldState& state) {
  if (state.siblings_size() > kMaxSiblingsPerField ||
      state.context_size() > kMaxContextEntries) {
    return InvalidField(field, "too many concurrent values or context entries");
  }
  if (!IsWellFormed(state.context())) {
    return InvalidField(field,
                        "causal context is not sorted or has a zero dot");
  }
  for (int i = 0; i < state.siblings_size(); ++i) {
    const v1::Dot& dot = state.siblings(i).dot();
    if (dot.replica() == 0 || dot.counter() == 0) {
      return InvalidField(field, "a value has no dot (replica and counter)");
    }
    if (!Covers(state.context(), dot)) {
      return InvalidField(field,
                          "a value's dot is missing from the causal context");
    }
    if (i > 0 && !DotLess(state.siblings(i - 1).dot(), dot)) {
      return InvalidField(field,
                          "values are not sorted by dot or repeat a dot");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckField(const SchemaRegistry& schemas,
                        const v1::CollectionSchema& schema,
                        const v1::FieldSpec* spec, const v1::FieldState& state,
                        bool creates) {
  if (spec == nullptr) {
    return InvalidField(
        state.name().empty() ? "fields" : state.name(),
        absl::StrCat("unknown field of collection \"", schema.name(), "\""));
  }
  VS_RETURN_IF_ERROR(CheckDots(spec->name(), state));
  bool has_value = false;
  for (const v1::Sibling& s : state.siblings()) {
    VS_RETURN_IF_ERROR(ValidateValue(schemas, *spec, s.value()));
    has_value = has_value || !IsCleared(s.value());
  }
  if (creates && spec->required() && !has_value) {
    return InvalidField(spec->name(), "required field has no value");
  }
  return absl::OkStatus();
}

// A deletion marker holds true (deleted) or false (re-created), nothing else.
absl::Status CheckDeletionMarker(const v1::FieldState& deletion) {
  VS_RETURN_IF_ERROR(CheckDots("deletion", deletion));
  for (const v1::Sibling& s : deletion.siblings()) {
    if (!IsCleared(s.value()) &&
        s.value().kind_case() != v1::Value::kBoolValue) {
      return InvalidField("deletion",
                          "a deletion marker holds true or false, no other "
                          "value");
    }
  }
  return absl::OkStatus();
}

// The relations of integer fields, among the values each write wrote
// together (one dot): what the change itself shows, the same everywhere.
absl::Status CheckBoundsPerWrite(const v1::CollectionSchema& schema,
                                 const v1::Change& change) {
  std::map<std::pair<uint64_t, uint64_t>, IntValues> by_write;
  for (const v1::FieldState& f : change.fields()) {
    for (const v1::Sibling& s : f.siblings()) {
      if (s.value().kind_case() != v1::Value::kIntValue) continue;
      by_write[{s.dot().replica(), s.dot().counter()}][f.name()] =
          s.value().int_value();
    }
  }
  for (const auto& [dot, values] : by_write) {
    VS_RETURN_IF_ERROR(CheckIntBounds(schema, values));
  }
  return absl::OkStatus();
}

absl::Status CheckRequiredPresent(
    const v1::CollectionSchema& schema,
    const absl::flat_hash_set<std::string>& seen) {
  for (const v1::FieldSpec& spec : schema.fields()) {
    if (spec.required() && !seen.contains(spec.name())) {
      return InvalidField(spec.name(), "required field is missing");
    }
  }
  return absl::OkStatus();
}

// An append-only record is written exactly once: every value and context
// entry of the change must be that single write.
absl::Status CheckAppendOnly(const v1::CollectionSchema& schema,
                             const v1::Change& change) {
  auto edit_error = [&] {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection \"", schema.name(),
        "\" is append-only: records are immutable once written; "
        "write a new record whose \"corrects\" field points at this one"));
  };
  if (!change.creates() || change.deletion().siblings_size() > 0 ||
      change.deletion().context_size() > 0) {
    return edit_error();
  }
  const v1::Dot* first = nullptr;
  for (const v1::FieldState& f : change.fields()) {
    for (const v1::Dot& d : f.context()) {
      if (first == nullptr) first = &d;
      if (!DotEqual(d, *first)) return edit_error();
    }
    if (f.siblings_size() != 1) return edit_error();
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  while (p < end) {
    // Skip ASCII eight bytes at a time.
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ULL) break;
      p += 8;
    }
    // Runs of three-byte sequences (CJK text) in E1-EC, which need no
    // overlong or surrogate checks.
    while (end - p >= 3 && p[0] >= 0xE1 && p[0] <= 0xEC &&
           ((p[1] & 0xC0) == 0x80) && ((p[2] & 0xC0) == 0x80)) {
      p += 3;
    }
    if (p == end) break;
    size_t length = Utf8SequenceLength(p, end);
    if (length == 0) return false;
    p += length;
  }
  return true;
}

absl::Status InvalidField(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(Bounded(field), ": ", problem));
}

std::string Bounded(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  std::string out;
  for (size_t chars = 0; p < end; ++chars) {
    if (chars == kMaxQuotedChars) return absl::StrCat(out, "…");
    size_t length = Utf8SequenceLength(p, end);
    if (length > 1) {
      out.append(reinterpret_cast<const char*>(p), length);
      p += length;
      continue;
    }
    unsigned char c = *p++;
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (length == 0 || c < 0x20 || c == 0x7F) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", Bounded(text), "\"");
}

bool IsVillageCode(absl::string_view code) {
  return code.size() == 12 && AllDigits(code);
}

bool IsVillagePrefix(absl::string_view prefix) {
  return prefix.size() <= 12 && AllDigits(prefix);
}

bool IsRecordId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRecordIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status ValidateKey(const SchemaRegistry& schemas,
                         const v1::RecordKey& key) {
  if (!IsVillageCode(key.village())) {
    return InvalidField(
        "village",
        absl::StrCat(Quoted(key.village()), " is not a 12-digit village code"));
  }
  if (schemas.FindCollection(key.collection()) == nullptr) {
    return InvalidField("collection", absl::StrCat("unknown collection ",
                                                   Quoted(key.collection())));
  }
  if (!IsRecordId(key.id())) {
    return InvalidField("id", absl::StrCat(Quoted(key.id()),
                                           " is not 1-64 characters of "
                                           "[A-Za-z0-9_-]"));
  }
  return absl::OkStatus();
}

absl::Status CheckIntBounds(const v1::CollectionSchema& schema,
                            const IntValues& values) {
  for (const v1::FieldSpec& spec : schema.fields()) {
    if (spec.at_most_field().empty()) continue;
    auto value = values.find(spec.name());
    auto bound = values.find(spec.at_most_field());
    if (value == values.end() || bound == values.end() ||
        value->second <= bound->second) {
      continue;
    }
    return InvalidField(
        spec.name(),
        absl::StrCat(value->second, " is more than ", spec.at_most_field(),
                     " (", bound->second, ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateValue(const SchemaRegistry& schemas,
                           const v1::FieldSpec& spec, const v1::Value& value) {
  if (IsCleared(value)) return absl::OkStatus();
  if (value.kind_case() != KindFor(spec.type())) {
    return InvalidField(spec.name(),
                        absl::StrCat("expected a value of type ",
                                     v1::FieldType_Name(spec.type())));
  }
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return CheckText(spec, value.string_value());
    case v1::Value::kEnumValue:
      return CheckEnum(spec, value.enum_value());
    case v1::Value::kStringList:
      return CheckList(spec, value.string_list());
    case v1::Value::kRefValue:
      if (!IsVillageCode(value.ref_value().village()) ||
          !IsRecordId(value.ref_value().id())) {
        return InvalidField(spec.name(),
                            "reference needs a village code and an id");
      }
      if (schemas.FindCollection(value.ref_value().collection()) == nullptr) {
        return InvalidField(
            spec.name(), absl::StrCat("reference to unknown collection ",
                                      Quoted(value.ref_value().collection())));
      }
      return absl::OkStatus();
    case v1::Value::kIntValue:
      if (spec.has_min_value() && value.int_value() < spec.min_value()) {
        return InvalidField(spec.name(), absl::StrCat(value.int_value(),
                                                      " is below the minimum ",
                                                      spec.min_value()));
      }
      if (spec.has_max_value() && value.int_value() > spec.max_value()) {
        return InvalidField(spec.name(), absl::StrCat(value.int_value(),
                                                      " is above the maximum ",
                                                      spec.max_value()));
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::Status ValidateChange(const SchemaRegistry& schemas,
                            const v1::Change& change) {
  VS_RETURN_IF_ERROR(ValidateKey(schemas, change.key()));
  if (change.fields_size() > kMaxFieldsPerChange ||
      change.ByteSizeLong() > kMaxChangeBytes) {
    return InvalidField(
        "fields",
        absl::StrCat("change exceeds the limit of ", kMaxFieldsPerChange,
                     " fields or ", kMaxChangeBytes, " bytes"));
  }
  const v1::CollectionSchema& schema =
      *schemas.FindCollection(change.key().collection());
  bool deletes = change.deletion().siblings_size() > 0;
  absl::flat_hash_set<std::string> seen;
  for (const v1::FieldState& f : change.fields()) {
    if (!seen.insert(f.name()).second) {
      return InvalidField(f.name(), "field appears twice in one change");
    }
    const v1::FieldSpec* spec =
        schemas.FindField(change.key().collection(), f.name());
    VS_RETURN_IF_ERROR(
        CheckField(schemas, schema, spec, f, change.creates() && !deletes));
  }
  VS_RETURN_IF_ERROR(CheckDeletionMarker(change.deletion()));
  VS_RETURN_IF_ERROR(CheckBoundsPerWrite(schema, change));
  if (change.creates() && !deletes) {
    VS_RETURN_IF_ERROR(CheckRequiredPresent(schema, seen));
  }
  if (schema.kind() == v1::COLLECTION_KIND_APPEND_ONLY) {
    return CheckAppendOnly(schema, change);
  }
  return absl::OkStatus();
}

}  // namespace villagesync
