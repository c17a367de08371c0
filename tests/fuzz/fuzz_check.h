// What every fuzz target asserts: a failed check prints what was expected
// and aborts, which libFuzzer (or the corpus replay) reports with the input.
#ifndef VILLAGESYNC_TESTS_FUZZ_FUZZ_CHECK_H_
#define VILLAGESYNC_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/stubs/logging.h"

namespace villagesync::fuzz {

inline void Check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::abort();
}

// Protobuf logs an ERROR line for every string that is not UTF-8 it parses:
// fuzz inputs are full of them, and the targets check outcomes themselves.
inline void QuietProtobuf() { google::protobuf::SetLogHandler(nullptr); }

}  // namespace villagesync::fuzz

// Targets without other setup still define the hook the replay driver calls.
#define VILLAGESYNC_FUZZ_NO_INITIALIZE                                   \
  extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) { \
    villagesync::fuzz::QuietProtobuf();                                  \
    return 0;                                                            \
  }

#endif  // VILLAGESYNC_TESTS_FUZZ_FUZZ_CHECK_H_
