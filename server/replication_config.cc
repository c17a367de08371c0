#include "server/replication_config.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "proto/status_macros.h"
#include "server/listen.h"
#include "storage/durable_file.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

bool IsPeerName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status Invalid(int index, absl::string_view field,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("peers[", index, "].", field, ": ", problem));
}

// Collects parse errors with their line numbers.
class Errors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    text_ = absl::StrCat(text_, text_.empty() ? "" : "; ", "line ", line + 1,
                         " column ", column + 1, ": ", message);
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A peer off loopback needs TLS, or an explicit `plaintext: true`.
absl::Status CheckPeerTls(int index, const v1::Peer& peer) {
  if (peer.cert_file().empty() != peer.key_file().empty()) {
    return Invalid(index, "cert_file", "give cert_file and key_file together");
  }
  if (!peer.ca_file().empty() || peer.plaintext()) return absl::OkStatus();
  absl::StatusOr<HostPort> hp = ParseListen(peer.address(), "address");
  if (!hp.ok()) return Invalid(index, "address", "host:port");
  if (IsLoopback(hp->host)) return absl::OkStatus();
  return Invalid(index, "ca_file",
                 "required for a peer off loopback: the replica token would "
                 "cross the network in clear text (or say `plaintext: true`)");
}

}  // namespace

absl::Status ValidateReplicationConfig(const v1::ReplicationConfig& config) {
  std::set<std::string> names;
  for (int i = 0; i < config.peers_size(); ++i) {
    const v1::Peer& peer = config.peers(i);
    if (!IsPeerName(peer.name()))
      return Invalid(i, "name", "1-64 of [A-Za-z0-9_.-]");
    if (!names.insert(peer.name()).second)
      return Invalid(i, "name", "used twice");
    if (peer.address().find(':') == std::string::npos) {
      return Invalid(i, "address", "required, as host:port");
    }
    if (peer.token().empty()) return Invalid(i, "token", "required");
    if (peer.direction() == v1::DIRECTION_UNSPECIFIED) {
      return Invalid(i, "direction",
                     "one of DIRECTION_PUSH, DIRECTION_PULL, DIRECTION_BOTH");
    }
    if (!IsVillagePrefix(peer.region_prefix())) {
      return Invalid(i, "region_prefix", "0-12 digits");
    }
    VS_RETURN_IF_ERROR(CheckPeerTls(i, peer));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ReplicationConfig> LoadReplicationConfig(
    const std::string& path) {
  VS_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  google::protobuf::TextFormat::Parser parser;
  Errors errors;
  parser.RecordErrorsTo(&errors);
  v1::ReplicationConfig config;
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat("peers file: ", errors.text()));
  }
  VS_RETURN_IF_ERROR(ValidateReplicationConfig(config));
  return config;
}

}  // namespace villagesync
