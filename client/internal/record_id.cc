#include "client/internal/record_id.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <random>

namespace villagesync {
namespace cli {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Fills `bytes` from getrandom(2), falling back to std::random_device (also
// the kernel's source on Linux) if the call is unavailable.
void FillRandom(unsigned char* bytes, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = getrandom(bytes + filled, size - filled, 0);
    if (n > 0) {
      filled += static_cast<size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  std::random_device device;
  for (; filled < size; ++filled) {
    bytes[filled] = static_cast<unsigned char>(device());
  }
}

}  // namespace

std::string NewRecordId(absl::Time now) {
  uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(now));
  std::string id(26, '0');
  // 10 characters carry 50 bits; the time takes the low 48, as in a ULID.
  for (int i = 9; i >= 0; --i) {
    id[i] = kCrockford[millis & 31];
    millis >>= 5;
  }
  unsigned char random[10];
  FillRandom(random, sizeof(random));
  // 80 random bits are exactly 16 characters of 5 bits.
  uint64_t high = 0, low = 0;
  for (int i = 0; i < 5; ++i) high = (high << 8) | random[i];
  for (int i = 5; i < 10; ++i) low = (low << 8) | random[i];
  for (int i = 0; i < 8; ++i) {
    id[17 - i] = kCrockford[high & 31];
    id[25 - i] = kCrockford[low & 31];
    high >>= 5;
    low >>= 5;
  }
  return id;
}

}  // namespace cli
}  // namespace villagesync
