// What every fuzz target asserts: a failed check prints what was expected
// and aborts, which libFuzzer (or the corpus replay) reports with the input.
#ifndef VILLAGESYNC_TESTS_FUZZ_FUZZ_CHECK_H_
#define VILLAGESYNC_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

namespace villagesync::fuzz {

inline void Check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::abort();
}

}  // namespace villagesync::fuzz

// Targets without setup still define the hook the replay driver calls.
#define VILLAGESYNC_FUZZ_NO_INITIALIZE                                   \
  extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) { \
    return 0;                                                            \
  }

#endif  // VILLAGESYNC_TESTS_FUZZ_FUZZ_CHECK_H_
