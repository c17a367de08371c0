// TcpProxy: a TCP forwarder (on 127.0.0.1 by default) for tests of sync over
// bad links. It relays bytes between clients and a target address and can
// throttle, delay, stall, and cut connections after a number of bytes, counting
// what crossed it in each direction.
#ifndef VILLAGESYNC_TESTS_TESTING_TCP_PROXY_H_
#define VILLAGESYNC_TESTS_TESTING_TCP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace villagesync::testing {

// Thread-safe. One thread accepts; two threads per connection relay.
class TcpProxy {
 public:
  // How the link behaves; may be changed while connections are open.
  struct Link {
    // Bytes per second in each direction; 0 = unlimited.
    int64_t bytes_per_second = 0;
    // Added one-way delay per chunk relayed, in milliseconds.
    int delay_ms = 0;
    // While true, nothing is relayed (bytes wait in the proxy).
    bool stalled = false;
    // If > 0: after this many bytes client->target in total (counted from
    // when it was set), every open connection is cut (closed both ways)
    // and the limit disarms itself.
    int64_t cut_after_upload_bytes = 0;
    // Likewise for target->client bytes.
    int64_t cut_after_download_bytes = 0;
  };

  // Listens on `listen_host`:0 (an IPv4 address of this machine: loopback,
  // or the near end of a link to a network namespace a benchmark created)
  // and forwards to `target` ("host:port").
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(
      std::string target, std::string listen_host = "127.0.0.1");
  ~TcpProxy();  // Closes everything and joins its threads.

  // "<listen_host>:<port>" to give clients.
  std::string address() const;

  void SetLink(const Link& link);
  // Closes every open connection now (new ones are still accepted).
  void CutAll();
  // Every open connection goes silent for good, as a link that dies without
  // a reset: it stays open and nothing more crosses it. New connections
  // relay as the link says.
  void SilenceOpen();

  // Bytes relayed client->target and target->client since Start.
  int64_t uploaded() const { return uploaded_.load(); }
  int64_t downloaded() const { return downloaded_.load(); }
  // Connections accepted since Start.
  int connections() const { return connections_.load(); }

 private:
  TcpProxy() = default;
  // Implementation details are up to the .cc.
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int64_t> uploaded_{0};
  std::atomic<int64_t> downloaded_{0};
  std::atomic<int> connections_{0};
};

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_TCP_PROXY_H_
