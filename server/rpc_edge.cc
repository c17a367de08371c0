#include "server/rpc_edge.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "proto/grpc_status.h"
#include "server/server_metrics.h"
#include "storage/validation.h"

namespace villagesync {
namespace {

// Deeper nesting than any villagesync message has is not searched.
constexpr int kMaxSearchDepth = 16;

std::string FindInvalidUtf8At(const google::protobuf::Descriptor& type,
                              absl::string_view bytes, int depth) {
  google::protobuf::UnknownFieldSet fields;
  if (depth > kMaxSearchDepth ||
      !fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return "";
  }
  absl::flat_hash_map<int, int> seen;  // field number -> occurrences so far
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    int index = seen[field.number()]++;
    const google::protobuf::FieldDescriptor* descriptor =
        type.FindFieldByNumber(field.number());
    if (descriptor == nullptr ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    std::string name = descriptor->is_repeated()
                           ? absl::StrCat(descriptor->name(), "[", index, "]")
                           : descriptor->name();
    const std::string& value = field.length_delimited();
    if (descriptor->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !IsValidUtf8(value)) {
      return name;
    }
    if (descriptor->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      std::string inner =
          FindInvalidUtf8At(*descriptor->message_type(), value, depth + 1);
      if (!inner.empty()) return absl::StrCat(name, ".", inner);
    }
  }
  return "";
}

}  // namespace

std::string FindInvalidUtf8(const google::protobuf::Descriptor& type,
                            absl::string_view bytes) {
  return FindInvalidUtf8At(type, bytes, 0);
}

absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message* message) {
  grpc::ByteBuffer copy(buffer);  // shares the slices; the reader needs a
                                  // mutable buffer
  grpc::ProtoBufferReader reader(&copy);
  if (reader.status().ok() && message->ParseFromZeroCopyStream(&reader)) {
    return absl::OkStatus();
  }
  // Rare: find out why, to name the field.
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  std::string path = FindInvalidUtf8(*message->GetDescriptor(), bytes);
  if (!path.empty()) return InvalidField(path, "text is not valid UTF-8");
  return absl::InvalidArgumentError(
      absl::StrCat("request: not a valid ", message->GetTypeName(),
                   " message (malformed protobuf)"));
}

absl::StatusOr<v1::UserInfo> AuthenticateCall(
    const grpc::ServerContext& context, const UserStore& users) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing \"authorization: Bearer <token>\" metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ")) {
    return absl::UnauthenticatedError(
        "authorization metadata must be \"Bearer <token>\"");
  }
  return users.Authenticate(value);
}

RpcEdge::RpcEdge(std::string service, const UserStore* users, Logger* logger,
                 Metrics* metrics)
    : service_(std::move(service)),
      short_name_(service_.substr(service_.rfind('.') + 1)),
      users_(users),
      logger_(logger),
      metrics_(metrics) {}

std::vector<std::string> RpcEdge::Unhandled() const {
  std::vector<std::string> missing;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          service_);
  if (service == nullptr) return {service_};
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string& name = service->method(i)->name();
    if (std::find(handled_.begin(), handled_.end(), name) == handled_.end()) {
      missing.push_back(name);
    }
  }
  return missing;
}

absl::Status RpcEdge::SerializeResponse(
    const google::protobuf::Message& message, grpc::ByteBuffer* buffer) {
  bool own_buffer = false;
  grpc::Status status = grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                               google::protobuf::Message>(
      message, buffer, &own_buffer);
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError("response: could not be serialized");
}

grpc::Status RpcEdge::Serve(const std::string& method, Logged logged,
                            const RawHandler& handler,
                            grpc::ServerContext* context,
                            const grpc::ByteBuffer* in,
                            grpc::ByteBuffer* out) const {
  absl::Time start = absl::Now();
  absl::Status status = Run(method, logged, handler, context, in, out);
  metrics_->Add(kRpcRequests,
                {{"service", short_name_},
                 {"method", method},
                 {"code", absl::StatusCodeToString(status.code())}},
                1);
  metrics_->Observe(kRpcSeconds, {{"service", short_name_}, {"method", method}},
                    absl::ToDoubleSeconds(absl::Now() - start));
  return ToGrpcStatus(status);
}

absl::Status RpcEdge::Run(const std::string& method, Logged logged,
                          const RawHandler& handler,
                          grpc::ServerContext* context,
                          const grpc::ByteBuffer* in,
                          grpc::ByteBuffer* out) const {
  absl::StatusOr<v1::UserInfo> caller = AuthenticateCall(*context, *users_);
  if (!caller.ok()) {
    metrics_->Add(kAuthRefused, {}, 1);
    logger_->Limited(LogLevel::kWarning, "auth_refused", absl::Seconds(1),
                     {{"method", method},
                      {"peer", context->peer()},
                      {"reason", std::string(caller.status().message())}});
    return caller.status();
  }
  if (caller->role() == "replica" && peers_need_certificates_ &&
      !context->auth_context()->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError(
        "replication peers must present a client certificate signed by this "
        "server's --tls_client_ca");
  }
  absl::Status status = handler(*caller, *in, out);
  if (logged == Logged::kYes) {
    logger_->Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "admin",
                 {{"action", method},
                  {"user", caller->name()},
                  {"code", absl::StatusCodeToString(status.code())},
                  {"error", std::string(status.message())}});
  }
  return status;
}

void RpcEdge::AddMethod(absl::string_view method, Logged logged,
                        RawHandler handler) {
  handled_.emplace_back(method);
  const std::string& path =
      paths_.emplace_back(absl::StrCat("/", service_, "/", method));
  using Raw = grpc::internal::RpcMethodHandler<RpcEdge, grpc::ByteBuffer,
                                               grpc::ByteBuffer>;
  grpc::Service::AddMethod(new grpc::internal::RpcServiceMethod(
      path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
      new Raw(
          [handler = std::move(handler), logged, name = std::string(method)](
              RpcEdge* edge, grpc::ServerContext* context,
              const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
            return edge->Serve(name, logged, handler, context, in, out);
          },
          this)));
}

}  // namespace villagesync
