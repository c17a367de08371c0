// TLS for villagesyncd (SPEC §6, §11): the server's credentials from PEM
// files (optionally requiring client certificates of replication peers),
// and the credentials a replication worker dials a peer with. OpenSSL does
// the work, through gRPC's credentials.
#ifndef VILLAGESYNC_SERVER_TLS_H_
#define VILLAGESYNC_SERVER_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/replication.pb.h"

namespace villagesync {

// The server's TLS files (PEM). All empty: no TLS.
struct TlsOptions {
  std::string cert_file;  // --tls_cert: the certificate chain
  std::string key_file;   // --tls_key: its private key
  // --tls_client_ca: CA whose client certificates replication peers must
  // present (devices authenticate with tokens and need none).
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty(); }
};

// The PEM contents of the server's TLS files.
struct TlsMaterial {
  std::string cert, key, client_ca;
};

// Reads the files of `tls`. INVALID_ARGUMENT naming the flag if one is
// missing or unreadable, or if only one of cert and key is given.
absl::StatusOr<TlsMaterial> LoadTls(const TlsOptions& tls);

// gRPC server credentials: TLS with `material`, or plaintext if `tls` is
// not enabled. With a client CA, clients may present a certificate, which
// is then verified; RpcEdge requires one of replication peers.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const TlsOptions& tls, const TlsMaterial& material);

// Credentials and channel arguments for dialing `peer`: TLS when it names a
// ca_file (with its cert_file/key_file as the client certificate), else
// plaintext. INVALID_ARGUMENT naming the field for an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentials(
    const v1::Peer& peer, grpc::ChannelArguments* args);

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_TLS_H_
