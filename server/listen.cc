#include "server/listen.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfo = std::unique_ptr<addrinfo, AddrInfoDeleter>;

absl::StatusOr<AddrInfo> Resolve(const HostPort& hp) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string port = absl::StrCat(hp.port);
  int err = getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(),
                        port.c_str(), &hints, &found);
  if (err != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot resolve ", Quoted(hp.host), ": ", gai_strerror(err)));
  }
  return AddrInfo(found);
}

bool IsLoopbackAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

}  // namespace

absl::StatusOr<HostPort> ParseListen(absl::string_view address,
                                     absl::string_view flag) {
  size_t colon = address.rfind(':');
  HostPort hp;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &hp.port) || hp.port < 0 ||
      hp.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", Quoted(address),
                     " is not HOST:PORT (e.g. 127.0.0.1:7443)"));
  }
  absl::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  hp.host = std::string(host);
  return hp;
}

bool IsLoopback(absl::string_view host) {
  if (host.empty()) return false;  // every interface
  absl::StatusOr<AddrInfo> info = Resolve({std::string(host), 0});
  if (!info.ok()) return false;
  for (addrinfo* a = info->get(); a != nullptr; a = a->ai_next) {
    if (!IsLoopbackAddress(a->ai_addr)) return false;
  }
  return true;
}

absl::Status ListenProblem(absl::string_view address) {
  absl::StatusOr<HostPort> hp = ParseListen(address, "listen");
  if (!hp.ok()) return hp.status();
  absl::StatusOr<AddrInfo> info = Resolve(*hp);
  if (!info.ok()) return info.status();
  int error = 0;
  for (addrinfo* a = info->get(); a != nullptr && error == 0; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) error = errno;
    close(fd);
  }
  if (error == EADDRINUSE) {
    return absl::UnavailableError(
        absl::StrCat(address,
                     " is already in use (another villagesyncd, or another "
                     "program, listens there)"));
  }
  return absl::UnavailableError(
      absl::StrCat("cannot listen on ", address,
                   error != 0 ? absl::StrCat(": ", std::strerror(error)) : ""));
}

}  // namespace villagesync
