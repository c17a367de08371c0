// OperatorHttp: villagesyncd's HTTP endpoint for operators (SPEC §11) and
// the web console (SPEC §13): GET /metrics, /healthz and /readyz, plus the
// routes other parts add before it starts. It serves TLS with the server's
// certificate when the server has one. cpp-httplib (Debian's
// libcpp-httplib) does the HTTP; handlers get its Request and Response.
#ifndef VILLAGESYNC_SERVER_OPERATOR_HTTP_H_
#define VILLAGESYNC_SERVER_OPERATOR_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "httplib.h"
#include "server/tls.h"

namespace villagesync {

// Thread-safe once started: handlers run on the endpoint's threads.
class OperatorHttp {
 public:
  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&)>;

  // With `tls` enabled, serves HTTPS with its certificate and key.
  explicit OperatorHttp(const TlsOptions& tls);
  ~OperatorHttp();  // Stops.

  // Routes, added before Start: `pattern` is a path, or a regular
  // expression over it.
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, Handler handler);

  // Binds `listen` (HOST:PORT; port 0 picks one) and serves on a thread.
  // UNAVAILABLE saying so if the address is in use.
  absl::Status Start(absl::string_view listen);

  // The port bound (0 before Start).
  int port() const { return port_; }
  bool tls() const { return tls_; }

  // Stops serving and joins the thread. Idempotent.
  void Stop();

 private:
  // Immutable after construction.
  const bool tls_;
  std::unique_ptr<httplib::Server> http_;

  int port_ = 0;
  std::thread thread_;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_OPERATOR_HTTP_H_
