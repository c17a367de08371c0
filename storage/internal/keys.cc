#include "storage/internal/keys.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace villagesync {
namespace keys {

std::string EncodeBigEndian(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

uint64_t DecodeBigEndian(absl::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

std::string RecordPath(const v1::RecordKey& key) {
  return absl::StrCat(key.collection(), "/", key.village(), "/", key.id());
}

bool ParseRecordPath(absl::string_view path, v1::RecordKey* key) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  if (parts.size() != 3) return false;
  key->set_collection(std::string(parts[0]));
  key->set_village(std::string(parts[1]));
  key->set_id(std::string(parts[2]));
  return true;
}

std::string RecordRow(const v1::RecordKey& key) {
  return absl::StrCat(kRecordPrefix, RecordPath(key));
}

std::string RecordRangePrefix(absl::string_view collection,
                              absl::string_view village_prefix) {
  return absl::StrCat(kRecordPrefix, collection, "/", village_prefix);
}

std::string LogRow(uint64_t seq) {
  return absl::StrCat(kLogPrefix, EncodeBigEndian(seq));
}

std::string OwnLogRow(uint64_t seq) {
  return absl::StrCat(kOwnLogPrefix, EncodeBigEndian(seq));
}

uint64_t LogSeq(absl::string_view log_row) {
  // Both prefixes are two bytes.
  return DecodeBigEndian(log_row.substr(kLogPrefix.size()));
}

std::string WatermarkRow(uint64_t replica) {
  return absl::StrCat(kWatermarkPrefix, EncodeBigEndian(replica));
}

std::string KnownCounterRow(uint64_t replica) {
  return absl::StrCat(kKnownCounterPrefix, EncodeBigEndian(replica));
}

std::string ConflictRow(const v1::RecordKey& key, absl::string_view field) {
  return absl::StrCat(kConflictPrefix, RecordPath(key), "/", field);
}

std::string AuditRow(int64_t micros, uint64_t seq) {
  return absl::StrCat(kAuditPrefix,
                      EncodeBigEndian(static_cast<uint64_t>(micros)),
                      EncodeBigEndian(seq));
}

}  // namespace keys
}  // namespace villagesync
