// TempDir: a fresh directory removed when it goes out of scope, for tests
// that open real stores: on disk under $TMPDIR (or /tmp) by default, or in
// memory (/dev/shm, where it exists) for tests that do not test durability.
#ifndef VILLAGESYNC_TESTS_TESTING_TEMP_DIR_H_
#define VILLAGESYNC_TESTS_TESTING_TEMP_DIR_H_

#include <string>

namespace villagesync::testing {

// Not thread-safe; owns the directory tree it creates.
class TempDir {
 public:
  enum Medium { kDisk, kInMemory };
  explicit TempDir(Medium medium = kDisk);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `path()/name`.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_TEMP_DIR_H_
