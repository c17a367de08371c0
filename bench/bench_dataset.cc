#include "bench/bench_dataset.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/internal/json.h"
#include "client/internal/value_text.h"
#include "proto/status_macros.h"
#include "storage/record_view.h"

namespace villagesync::bench {
namespace {

constexpr char kCommon[] =
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可"
    "主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家"
    "电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合"
    "还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明"
    "看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边"
    "流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战"
    "先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶"
    "油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例"
    "真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际"
    "商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何"
    "除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派"
    "层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞村镇户";
constexpr size_t kBytesPerChar = 3;
constexpr size_t kChars = (sizeof(kCommon) - 1) / kBytesPerChar;

constexpr char kSurnames[] = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
constexpr size_t kSurnameCount = (sizeof(kSurnames) - 1) / kBytesPerChar;

// Each record fills its long field up to about this many bytes, so that the
// whole record is ~1 KB.
constexpr size_t kRecordBytes = 1000;

void AppendChars(std::mt19937_64& rng, size_t bytes, std::string* text) {
  size_t target = text->size() + bytes;
  while (text->size() < target) {
    text->append(kCommon + (rng() % kChars) * kBytesPerChar, kBytesPerChar);
  }
}

std::string PersonName(std::mt19937_64& rng) {
  std::string name(kSurnames + (rng() % kSurnameCount) * kBytesPerChar,
                   kBytesPerChar);
  AppendChars(rng, kBytesPerChar * (1 + rng() % 2), &name);
  return name;
}

std::string DateIn2024(std::mt19937_64& rng) {
  return absl::StrFormat("2024-%02d-%02d", 1 + rng() % 12, 1 + rng() % 28);
}

const char* Pick(std::mt19937_64& rng, std::initializer_list<const char*> of) {
  return *(of.begin() + rng() % of.size());
}

// The field holding most of each collection's bytes: the one edits change.
const char* LongField(const std::string& collection) {
  if (collection == "members") return "occupation";
  if (collection == "meetings") return "topic";
  return "notes";
}

size_t FieldBytes(const BenchRecord& record) {
  size_t bytes = 0;
  for (const auto& [name, value] : record.fields) {
    bytes += name.size() + value.size();
  }
  return bytes;
}

void FillMember(std::mt19937_64& rng, BenchRecord* record) {
  record->fields = {
      {"birth_date", absl::StrFormat("19%02d-%02d-%02d", 40 + rng() % 60,
                                     1 + rng() % 12, 1 + rng() % 28)},
      {"gender", Pick(rng, {"男", "女"})},
      {"join_date", absl::StrFormat("20%02d-07-01", rng() % 24)},
      {"name", PersonName(rng)},
      {"party_group", absl::StrCat("第", 1 + rng() % 5, "党小组")},
      {"status", Pick(rng, {"正式党员", "正式党员", "预备党员"})}};
}

void FillMeeting(std::mt19937_64& rng, BenchRecord* record) {
  int due = 20 + static_cast<int>(rng() % 40);
  record->fields = {
      {"date", DateIn2024(rng)},
      {"due", absl::StrCat(due)},
      {"present", absl::StrCat(due - static_cast<int>(rng() % 5))},
      {"speaker", PersonName(rng)},
      {"type",
       Pick(rng, {"支部党员大会", "支委会", "党小组会", "党课", "主题党日"})}};
}

void FillVisit(std::mt19937_64& rng, BenchRecord* record) {
  record->fields = {{"date", DateIn2024(rng)},
                    {"household", absl::StrCat(PersonName(rng), "户")},
                    {"purpose", Pick(rng, {"走访", "帮扶", "慰问", "宣传"})}};
}

BenchRecord MakeRecord(std::mt19937_64& rng, int device, int index) {
  BenchRecord record;
  record.device = device;
  record.village = VillageOf(device);
  record.id = absl::StrCat("d", device, "-r", index);
  switch (index % 3) {
    case 0:
      record.collection = "members";
      FillMember(rng, &record);
      break;
    case 1:
      record.collection = "meetings";
      FillMeeting(rng, &record);
      break;
    default:
      record.collection = "visits";
      FillVisit(rng, &record);
      break;
  }
  std::string text;
  size_t have = FieldBytes(record);
  AppendChars(rng, kRecordBytes - std::min(have, kRecordBytes - 90), &text);
  record.fields.emplace_back(LongField(record.collection), std::move(text));
  std::sort(record.fields.begin(), record.fields.end());
  return record;
}

}  // namespace

std::string ChineseText(uint64_t seed, size_t bytes) {
  std::mt19937_64 rng(seed);
  std::string text;
  AppendChars(rng, bytes, &text);
  return text;
}

std::string VillageOf(int device) {
  return absl::StrFormat("440101%03d%03d", device / 20 + 1, device % 20 + 1);
}

std::vector<BenchRecord> MakeRecords(uint64_t seed, int devices,
                                     int per_device) {
  std::vector<BenchRecord> records;
  records.reserve(static_cast<size_t>(devices) * per_device);
  for (int d = 0; d < devices; ++d) {
    std::mt19937_64 rng(seed * 1000003 + d);
    for (int r = 0; r < per_device; ++r) {
      records.push_back(MakeRecord(rng, d, r));
    }
  }
  return records;
}

std::vector<FieldEdit> MakeTextEdits(
    uint64_t seed, const std::vector<const BenchRecord*>& records, int chars) {
  std::mt19937_64 rng(seed);
  std::vector<FieldEdit> edits;
  for (const BenchRecord* record : records) {
    FieldEdit edit{record->collection, record->id, record->village,
                   LongField(record->collection), "（更新）"};
    AppendChars(rng, static_cast<size_t>(chars) * kBytesPerChar, &edit.value);
    edits.push_back(std::move(edit));
  }
  return edits;
}

std::vector<FieldEdit> MakeContactEdits(
    uint64_t seed, const std::vector<const BenchRecord*>& records) {
  std::mt19937_64 rng(seed);
  std::vector<FieldEdit> edits;
  for (const BenchRecord* record : records) {
    edits.push_back({record->collection, record->id, record->village,
                     "last_contact_date", DateIn2024(rng)});
  }
  return edits;
}

void ExpectedContent::Add(const BenchRecord& record) {
  records_[record.Key()] = record;
  hash_.clear();
}

absl::Status ExpectedContent::Apply(const FieldEdit& edit) {
  auto found = records_.find(edit.collection + "/" + edit.id);
  if (found == records_.end()) {
    return absl::NotFoundError(absl::StrCat("no record ", edit.id));
  }
  hash_.clear();
  auto& fields = found->second.fields;
  auto field = std::find_if(fields.begin(), fields.end(), [&](const auto& f) {
    return f.first == edit.field;
  });
  if (field == fields.end()) {
    fields.emplace_back(edit.field, edit.value);
    std::sort(fields.begin(), fields.end());
  } else {
    field->second = edit.value;
  }
  return absl::OkStatus();
}

const std::string& ExpectedContent::Hash() const {
  if (!hash_.empty()) return hash_;
  std::map<std::string, std::string> texts;
  for (const auto& [key, record] : records_) {
    texts.emplace(key, CanonicalText(record));
  }
  hash_ = HashTexts(texts);
  return hash_;
}

std::string CanonicalText(const BenchRecord& record) {
  std::string text =
      absl::StrCat(record.Key(), "\nvillage=", record.village, "\n");
  for (const auto& [name, value] : record.fields) {
    absl::StrAppend(&text, name, "=", value, "\n");
  }
  return text;
}

std::string HashTexts(const std::map<std::string, std::string>& texts) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  for (const auto& [key, text] : texts) {
    EVP_DigestUpdate(context, text.data(), text.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest, &length);
  EVP_MD_CTX_free(context);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    absl::StrAppendFormat(&hex, "%02x", digest[i]);
  }
  return hex;
}

absl::StatusOr<ContentDigest> DigestStore(const RecordStore& store) {
  std::map<std::string, std::string> texts;
  for (const v1::CollectionSchema& schema :
       store.schemas().schemas().collections()) {
    std::string after;
    while (true) {
      VS_ASSIGN_OR_RETURN(std::vector<Record> page,
                          store.List(schema.name(), "", 1000, after));
      if (page.empty()) break;
      for (const Record& record : page) {
        RecordView view = ViewRecord(record, schema);
        if (view.deleted) continue;
        BenchRecord text{
            0, schema.name(), record.key.id(), record.key.village(), {}};
        for (const FieldView& field : view.fields) {
          text.fields.emplace_back(field.name,
                                   cli::ValueToText(field.value.value()));
        }
        texts.emplace(text.Key(), CanonicalText(text));
      }
      after =
          absl::StrCat(page.back().key.village(), "/", page.back().key.id());
    }
  }
  return ContentDigest{texts.size(), HashTexts(texts)};
}

absl::StatusOr<LocalEdit> ToLocalEdit(const BenchRecord& record,
                                      const SchemaRegistry& schemas) {
  LocalEdit edit;
  edit.key.set_collection(record.collection);
  edit.key.set_village(record.village);
  edit.key.set_id(record.id);
  for (const auto& [name, text] : record.fields) {
    const v1::FieldSpec* spec = schemas.FindField(record.collection, name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("no field ", name));
    }
    VS_ASSIGN_OR_RETURN(v1::Value value, cli::ParseValue(*spec, text));
    edit.fields.emplace_back(name, std::move(value));
  }
  return edit;
}

absl::StatusOr<LocalEdit> ToLocalEdit(const FieldEdit& edit,
                                      const SchemaRegistry& schemas) {
  BenchRecord record{
      0, edit.collection, edit.id, edit.village, {{edit.field, edit.value}}};
  return ToLocalEdit(record, schemas);
}

absl::Status WriteRecordsJsonl(const std::vector<BenchRecord>& records,
                               const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const BenchRecord& record : records) {
    cli::JsonObject fields;
    for (const auto& [name, value] : record.fields) {
      fields.AddString(name, value);
    }
    out << cli::JsonObject()
               .AddRaw("device", absl::StrCat(record.device))
               .AddString("collection", record.collection)
               .AddString("id", record.id)
               .AddString("village", record.village)
               .AddRaw("fields", fields.Build())
               .Build()
        << "\n";
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status WriteEditsJsonl(const std::vector<FieldEdit>& edits,
                             const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const FieldEdit& edit : edits) {
    out << cli::JsonObject()
               .AddString("collection", edit.collection)
               .AddString("id", edit.id)
               .AddString("field", edit.field)
               .AddString("value", edit.value)
               .Build()
        << "\n";
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace villagesync::bench
