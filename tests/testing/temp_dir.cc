#include "tests/testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace villagesync::testing {

namespace {

std::string BaseDir(TempDir::Medium medium) {
  std::error_code ignored;
  if (medium == TempDir::kInMemory &&
      std::filesystem::is_directory("/dev/shm", ignored)) {
    return "/dev/shm";
  }
  const char* base = std::getenv("TMPDIR");
  return base != nullptr ? base : "/tmp";
}

}  // namespace

TempDir::TempDir(Medium medium) {
  std::string pattern = BaseDir(medium) + "/villagesync-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace villagesync::testing
