// Damaging files on purpose, for tests of what a store does with them.
#ifndef VILLAGESYNC_TESTS_TESTING_DAMAGE_H_
#define VILLAGESYNC_TESTS_TESTING_DAMAGE_H_

#include <string>

namespace villagesync::testing {

// Inverts one byte of `path` at `fraction` (0 to 1) of its length, as a bad
// sector or a cosmic ray would.
void FlipByte(const std::string& path, double fraction);

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_DAMAGE_H_
