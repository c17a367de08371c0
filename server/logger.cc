#include "server/logger.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace villagesync {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

// A logfmt value: bare if it needs no quoting, else in double quotes with
// quotes, backslashes and control characters escaped.
std::string LogfmtValue(absl::string_view value) {
  bool bare = !value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x20) {
      bare = false;
    }
  }
  if (bare) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

void WriteToStderr(absl::string_view line) { std::cerr << line << std::endl; }

}  // namespace

Logger::Logger(Sink sink, LogFormat format)
    : sink_(sink ? std::move(sink) : Sink(WriteToStderr)), format_(format) {}

std::string Logger::Line(LogLevel level, absl::string_view event,
                         std::initializer_list<LogField> fields, absl::Time now,
                         int suppressed) const {
  std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3S%Ez", now, absl::LocalTimeZone());
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json json;
    json["time"] = time;
    json["level"] = LevelName(level);
    json["event"] = std::string(event);
    for (const LogField& f : fields) json[std::string(f.first)] = f.second;
    if (suppressed > 0) json["suppressed"] = suppressed;
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = absl::StrCat(time, " ", LevelName(level), " ", event);
  for (const LogField& f : fields) {
    absl::StrAppend(&line, " ", f.first, "=", LogfmtValue(f.second));
  }
  if (suppressed > 0) absl::StrAppend(&line, " suppressed=", suppressed);
  return line;
}

void Logger::Log(LogLevel level, absl::string_view event,
                 std::initializer_list<LogField> fields, absl::Time now) {
  sink_(Line(level, event, fields, now, 0));
}

void Logger::Limited(LogLevel level, absl::string_view event,
                     absl::Duration every,
                     std::initializer_list<LogField> fields) {
  absl::Time now = absl::Now();
  int suppressed = 0;
  {
    absl::MutexLock lock(&mu_);
    if (now - last_limited_ < every) {
      ++suppressed_;
      return;
    }
    last_limited_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
  }
  sink_(Line(level, event, fields, now, suppressed));
}

bool ParseLogFormat(absl::string_view text, LogFormat* format) {
  if (text == "text") {
    *format = LogFormat::kText;
  } else if (text == "json") {
    *format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

}  // namespace villagesync
