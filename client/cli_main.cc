// villagesync: the command-line client; see client/cli.h.
#include <iostream>
#include <string>
#include <vector>

#include "client/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return villagesync::RunCli(args, std::cout, std::cerr);
}
