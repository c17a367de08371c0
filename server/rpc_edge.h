// RpcEdge is where every request enters villagesyncd: the RPC edge of
// STYLE.md in one place. For each method it authenticates the bearer token,
// parses the request itself (so a malformed message, or text that is not
// UTF-8, is INVALID_ARGUMENT naming the field rather than gRPC's INTERNAL with
// no message), runs the typed handler with the caller and answers with the
// handler's status, its message bounded. It counts and times every call
// (metrics), logs refused tokens (rate-limited) and the calls marked as
// administrative actions. SyncServiceImpl and AdminServiceImpl are RpcEdges
// that register one handler per method.
#ifndef VILLAGESYNC_SERVER_RPC_EDGE_H_
#define VILLAGESYNC_SERVER_RPC_EDGE_H_

#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "proto/admin.pb.h"
#include "proto/status_macros.h"
#include "server/logger.h"
#include "server/metrics.h"
#include "storage/user_store.h"

namespace villagesync {

// Parses `buffer` into `message`. INVALID_ARGUMENT naming the first string
// field whose text is not UTF-8 (e.g. "changes[2].key.village"), or saying
// that the bytes are not a `message` at all.
absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message* message);

// The path of the first string field in `bytes` (a serialized `type`) whose
// text is not UTF-8, e.g. "changes[2].key.village"; "" if there is none or
// the bytes do not parse as protobuf wire data.
std::string FindInvalidUtf8(const google::protobuf::Descriptor& type,
                            absl::string_view bytes);

// The caller's user, from "authorization: Bearer <token>" metadata.
// UNAUTHENTICATED if missing, malformed, unknown or revoked.
absl::StatusOr<v1::UserInfo> AuthenticateCall(
    const grpc::ServerContext& context, const UserStore& users);

// Thread-safe once constructed: handlers run on gRPC's threads.
class RpcEdge : public grpc::Service {
 public:
  // A method's handler: the authenticated caller, the request, the response
  // to fill. Its status is the call's.
  template <typename Request, typename Response>
  using Handler = std::function<absl::Status(
      const v1::UserInfo& caller, const Request& request, Response* response)>;

  // The full name of the protobuf service this edge serves.
  const std::string& service_name() const { return service_; }

  // Methods of the service that have no handler (a complete edge: none).
  std::vector<std::string> Unhandled() const;

  // From now on a `replica` caller must also have presented a client
  // certificate the TLS layer verified (mutual TLS for peers). Call before
  // the server starts.
  void RequirePeerCertificates() { peers_need_certificates_ = true; }

 protected:
  // `service` is the protobuf service's full name (e.g.
  // "villagesync.v1.SyncService"). Everything given must outlive the edge.
  RpcEdge(std::string service, const UserStore* users, Logger* logger,
          Metrics* metrics);

  // Whether a method's calls are logged, one line each: the administrative
  // actions (who did what, and how it ended).
  enum class Logged { kNo, kYes };

  // Serves `method` (e.g. "Push") with `handler`. Call from the subclass's
  // constructor only.
  template <typename Request, typename Response>
  void Handle(absl::string_view method, Handler<Request, Response> handler,
              Logged logged = Logged::kNo) {
    AddMethod(method, logged,
              [handler = std::move(handler)](
                  const v1::UserInfo& caller, const grpc::ByteBuffer& in,
                  grpc::ByteBuffer* out) -> absl::Status {
                Request request;
                VS_RETURN_IF_ERROR(ParseRequest(in, &request));
                Response response;
                VS_RETURN_IF_ERROR(handler(caller, request, &response));
                return SerializeResponse(response, out);
              });
  }

 private:
  using RawHandler = std::function<absl::Status(
      const v1::UserInfo&, const grpc::ByteBuffer&, grpc::ByteBuffer*)>;

  static absl::Status SerializeResponse(
      const google::protobuf::Message& message, grpc::ByteBuffer* buffer);
  void AddMethod(absl::string_view method, Logged logged, RawHandler handler);
  grpc::Status Serve(const std::string& method, Logged logged,
                     const RawHandler& handler, grpc::ServerContext* context,
                     const grpc::ByteBuffer* in, grpc::ByteBuffer* out) const;
  absl::Status Run(const std::string& method, Logged logged,
                   const RawHandler& handler, grpc::ServerContext* context,
                   const grpc::ByteBuffer* in, grpc::ByteBuffer* out) const;

  // Immutable after construction.
  const std::string service_;
  const std::string short_name_;  // "SyncService", for metrics labels
  const UserStore* const users_;
  Logger* const logger_;
  Metrics* const metrics_;
  // gRPC keeps pointers to the method paths: a deque never moves them.
  std::deque<std::string> paths_;
  std::vector<std::string> handled_;
  bool peers_need_certificates_ = false;
};

}  // namespace villagesync

#endif  // VILLAGESYNC_SERVER_RPC_EDGE_H_
