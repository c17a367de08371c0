#include "server/operator_http.h"

#include "absl/strings/str_cat.h"
#include "proto/status_macros.h"
#include "server/listen.h"

namespace villagesync {

OperatorHttp::OperatorHttp(const TlsOptions& tls) : tls_(tls.enabled()) {
  if (tls_) {
    http_ = std::make_unique<httplib::SSLServer>(tls.cert_file.c_str(),
                                                 tls.key_file.c_str());
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  // Operators and browsers on a 2G link are slow, but an endpoint that
  // waits forever on a silent client is a way to exhaust it.
  http_->set_read_timeout(30, 0);
  http_->set_write_timeout(30, 0);
  http_->set_payload_max_length(1 << 20);
}

OperatorHttp::~OperatorHttp() { Stop(); }

void OperatorHttp::Get(const std::string& pattern, Handler handler) {
  http_->Get(pattern, std::move(handler));
}

void OperatorHttp::Post(const std::string& pattern, Handler handler) {
  http_->Post(pattern, std::move(handler));
}

absl::Status OperatorHttp::Start(absl::string_view listen) {
  VS_ASSIGN_OR_RETURN(HostPort hp, ParseListen(listen, "--http_listen"));
  if (!http_->is_valid()) {
    return absl::InvalidArgumentError(
        "--http_listen: the TLS certificate or key could not be loaded");
  }
  if (hp.port == 0) {
    port_ = http_->bind_to_any_port(hp.host);
  } else if (http_->bind_to_port(hp.host, hp.port)) {
    port_ = hp.port;
  }
  if (port_ <= 0) {
    port_ = 0;
    return ListenProblem(listen);
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return absl::OkStatus();
}

void OperatorHttp::Stop() {
  if (!thread_.joinable()) return;
  http_->stop();
  thread_.join();
}

}  // namespace villagesync
