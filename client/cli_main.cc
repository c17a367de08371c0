// villagesync: the command-line client; see client/cli.h.
#include <iostream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "grpc/support/log.h"
#include "proto/protobuf_log.h"

namespace {

// gRPC's own log lines (a failed handshake, ...) repeat what the command's
// message says, in a developer's terms.
void Quiet(gpr_log_func_args* /*args*/) {}

}  // namespace

int main(int argc, char** argv) {
  gpr_set_log_function(Quiet);
  // A non-UTF-8 argument gets the CLI's own message, naming the field.
  villagesync::QuietProtobufUtf8Errors();
  std::vector<std::string> args(argv + 1, argv + argc);
  return villagesync::RunCli(args, std::cout, std::cerr);
}
