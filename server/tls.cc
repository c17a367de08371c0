#include "server/tls.h"

#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "storage/durable_file.h"

namespace villagesync {
namespace {

// The contents of `path` ("" if `path` is empty). INVALID_ARGUMENT naming
// `what` if it cannot be read.
absl::StatusOr<std::string> ReadPem(const std::string& path,
                                    absl::string_view what) {
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> pem = ReadWholeFile(path);
  if (!pem.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": cannot read ", path, ": ", pem.status().message()));
  }
  if (pem->find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", path, " is not a PEM file"));
  }
  return pem;
}

}  // namespace

absl::StatusOr<TlsMaterial> LoadTls(const TlsOptions& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key: give both, or neither");
  }
  if (!tls.enabled() && !tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_client_ca: needs --tls_cert and --tls_key");
  }
  TlsMaterial material;
  VS_ASSIGN_OR_RETURN(material.cert, ReadPem(tls.cert_file, "--tls_cert"));
  VS_ASSIGN_OR_RETURN(material.key, ReadPem(tls.key_file, "--tls_key"));
  VS_ASSIGN_OR_RETURN(material.client_ca,
                      ReadPem(tls.client_ca_file, "--tls_client_ca"));
  return material;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const TlsOptions& tls, const TlsMaterial& material) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      material.client_ca.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = material.client_ca;
  options.pem_key_cert_pairs.push_back({material.key, material.cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentials(
    const v1::Peer& peer, grpc::ChannelArguments* args) {
  if (peer.ca_file().empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  VS_ASSIGN_OR_RETURN(options.pem_root_certs,
                      ReadPem(peer.ca_file(), "ca_file"));
  VS_ASSIGN_OR_RETURN(options.pem_cert_chain,
                      ReadPem(peer.cert_file(), "cert_file"));
  VS_ASSIGN_OR_RETURN(options.pem_private_key,
                      ReadPem(peer.key_file(), "key_file"));
  if (!peer.tls_server_name().empty()) {
    args->SetSslTargetNameOverride(peer.tls_server_name());
  }
  return grpc::SslCredentials(options);
}

}  // namespace villagesync
