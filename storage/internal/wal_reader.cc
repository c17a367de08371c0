#include "storage/internal/wal_reader.h"

#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "rocksdb/file_checksum.h"
#include "storage/durable_file.h"

namespace villagesync {
namespace {

// RocksDB's log format (db/log_format.h): 32 KiB blocks; each fragment has
// a 7-byte header: masked crc32c (4, little-endian) of the type byte and
// payload, payload length (2, little-endian), type (1).
constexpr size_t kBlockSize = 32768;
constexpr size_t kHeaderSize = 7;
enum FragmentType : uint8_t {
  kZeroType = 0,
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
constexpr uint32_t kMaskDelta = 0xa282ead8u;

uint32_t LittleEndian(const char* p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<uint8_t>(p[i]);
  }
  return value;
}

// crc32c of `type` then `payload`, by RocksDB's own crc32c (public as its
// file-checksum generator).
uint32_t Crc32c(char type, absl::string_view payload) {
  static const std::shared_ptr<rocksdb::FileChecksumGenFactory> factory =
      rocksdb::GetFileChecksumGenCrc32cFactory();
  std::unique_ptr<rocksdb::FileChecksumGenerator> crc =
      factory->CreateFileChecksumGenerator(rocksdb::FileChecksumGenContext());
  crc->Update(&type, 1);
  crc->Update(payload.data(), payload.size());
  crc->Finalize();
  std::string sum = crc->GetChecksum();  // big-endian
  uint32_t value = 0;
  for (char c : sum) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

bool ChecksumHolds(const char* header, absl::string_view payload) {
  uint32_t masked = LittleEndian(header, 4);
  uint32_t rotated = masked - kMaskDelta;
  uint32_t stored = (rotated >> 17) | (rotated << 15);
  return stored == Crc32c(header[6], payload);
}

// Reassembles entries from fragments, reporting damage.
class Assembler {
 public:
  explicit Assembler(const WalVisitor& visitor) : visitor_(visitor) {}

  void Damaged() {
    entry_.clear();
    in_entry_ = false;
    visitor_.on_damage();
  }

  // False for a type this reader does not know.
  bool Add(uint8_t type, absl::string_view payload) {
    switch (type) {
      case kFullType:
        if (in_entry_) Damaged();
        visitor_.on_batch(payload);
        return true;
      case kFirstType:
        if (in_entry_) Damaged();
        entry_.assign(payload.data(), payload.size());
        in_entry_ = true;
        return true;
      case kMiddleType:
      case kLastType:
        if (!in_entry_) {
          Damaged();
          return true;
        }
        entry_.append(payload.data(), payload.size());
        if (type == kLastType) {
          visitor_.on_batch(entry_);
          entry_.clear();
          in_entry_ = false;
        }
        return true;
      default:
        return false;
    }
  }

 private:
  const WalVisitor& visitor_;
  std::string entry_;
  bool in_entry_ = false;
};

}  // namespace

absl::Status ScanWal(const std::string& path, const WalVisitor& visitor) {
  VS_ASSIGN_OR_RETURN(std::string log, ReadWholeFile(path));
  Assembler entries(visitor);
  size_t pos = 0;
  while (pos + kHeaderSize <= log.size()) {
    size_t block_left = kBlockSize - pos % kBlockSize;
    if (block_left < kHeaderSize) {  // the block's zero trailer
      pos += block_left;
      continue;
    }
    const char* header = log.data() + pos;
    size_t length = LittleEndian(header + 4, 2);
    uint8_t type = static_cast<uint8_t>(header[6]);
    if (type == kZeroType && length == 0) {  // preallocated, never written
      pos += block_left;
      continue;
    }
    if (kHeaderSize + length > block_left) {
      entries.Damaged();  // the length itself is damaged: skip the block
      pos += block_left;
      continue;
    }
    if (pos + kHeaderSize + length > log.size()) break;  // cut short
    absl::string_view payload(header + kHeaderSize, length);
    if (!ChecksumHolds(header, payload)) {
      entries.Damaged();
    } else if (!entries.Add(type, payload)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": log entry of type ", type, " is not read by recovery"));
    }
    pos += kHeaderSize + length;
  }
  return absl::OkStatus();
}

}  // namespace villagesync
