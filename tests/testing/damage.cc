#include "tests/testing/damage.h"

#include <filesystem>
#include <fstream>

namespace villagesync::testing {

void FlipByte(const std::string& path, double fraction) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  auto at = static_cast<std::streamoff>(
      static_cast<double>(std::filesystem::file_size(path)) * fraction);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(~c);
  f.seekp(at);
  f.write(&c, 1);
}

}  // namespace villagesync::testing
