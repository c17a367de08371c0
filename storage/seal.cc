#include "storage/seal.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "storage/internal/keys.h"

namespace villagesync {
namespace {

// The seal is the server id (8 bytes) and the MAC cut to 16 bytes.
constexpr size_t kMacBytes = 16;

// Everything a write says, each part length-prefixed so that no two writes
// give the same bytes.
std::string SealedBytes(const v1::RecordKey& record, absl::string_view field,
                        const v1::Sibling& sibling) {
  std::string out;
  auto part = [&out](absl::string_view bytes) {
    absl::StrAppend(&out, keys::EncodeBigEndian(bytes.size()), bytes);
  };
  part(keys::RecordPath(record));
  part(field);
  part(keys::EncodeBigEndian(sibling.dot().replica()));
  part(keys::EncodeBigEndian(sibling.dot().counter()));
  part(keys::EncodeBigEndian(sibling.hlc()));
  part(sibling.author());
  part(sibling.value().SerializeAsString());
  return out;
}

std::string Mac(absl::string_view key, absl::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
           md, &md_len) == nullptr ||
      md_len < kMacBytes) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(md), kMacBytes);
}

}  // namespace

std::string NewSealKey() {
  unsigned char bytes[kSealKeyBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

std::string Seal(absl::string_view key, uint64_t server,
                 const v1::RecordKey& record, absl::string_view field,
                 const v1::Sibling& sibling) {
  std::string mac = Mac(key, SealedBytes(record, field, sibling));
  if (mac.empty()) return "";
  return absl::StrCat(keys::EncodeBigEndian(server), mac);
}

uint64_t SealedBy(const v1::Sibling& sibling) {
  if (sibling.seal().size() != 8 + kMacBytes) return 0;
  return keys::DecodeBigEndian(sibling.seal());
}

bool HasValidSeal(absl::string_view key, uint64_t server,
                  const v1::RecordKey& record, absl::string_view field,
                  const v1::Sibling& sibling) {
  if (key.empty() || SealedBy(sibling) != server) return false;
  std::string expected = Seal(key, server, record, field, sibling);
  return expected.size() == sibling.seal().size() &&
         CRYPTO_memcmp(expected.data(), sibling.seal().data(),
                       expected.size()) == 0;
}

}  // namespace villagesync
