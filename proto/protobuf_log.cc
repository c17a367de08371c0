#include "proto/protobuf_log.h"

#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "google/protobuf/stubs/logging.h"

namespace villagesync {
namespace {

void LogProtobufMessage(google::protobuf::LogLevel level, const char* file,
                        int line, const std::string& message) {
  if (absl::StrContains(message, "invalid UTF-8 data when")) return;
  std::cerr << "[libprotobuf " << level << " " << file << ":" << line << "] "
            << message << std::endl;
}

}  // namespace

void QuietProtobufUtf8Errors() {
  google::protobuf::SetLogHandler(LogProtobufMessage);
}

}  // namespace villagesync
