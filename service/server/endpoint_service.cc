#include "service/server/endpoint_service.h"

#include <google/protobuf/message.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/server_callback.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/grpc_status.h"
#include "service/server/upstream_reactor.h"
#include "service/transcode/answer_parser.h"
#include "service/transcode/request_builder.h"

namespace wxgate {
namespace {

using google::protobuf::Message;

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

bool ParseByteBuffer(const grpc::ByteBuffer& buffer, Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return message->ParseFromString(bytes);
}

grpc::ByteBuffer ToByteBuffer(const Message& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

EndpointService::EndpointService(std::vector<EndpointBinding> bindings, const UpstreamDeps& deps,
                                 const CallAdmission& admission)
    : bindings_(std::move(bindings)), deps_(deps), admission_(admission) {
  for (size_t i = 0; i < bindings_.size(); ++i) {
    const EndpointBinding& binding = bindings_[i];
    const auto& method = *binding.method;
    method_paths_.push_back(absl::StrCat("/", method.service()->full_name(), "/", method.name()));
    AddMethod(new grpc::internal::RpcServiceMethod(method_paths_.back().c_str(),
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodRawCallback(
        static_cast<int>(i),
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [this, &binding](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                             grpc::ByteBuffer* response) {
              return Handle(binding, context, request, response);
            }));
  }
}

grpc::ServerUnaryReactor* EndpointService::AnswerWithUrl(const EndpointBinding& binding,
                                                         grpc::CallbackServerContext* context,
                                                         const Message& request,
                                                         grpc::ByteBuffer* response_bytes) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<const Account*> account = admission_.Admit(*context, MethodName(*binding.method));
  if (!account.ok()) {
    reactor->Finish(ToGrpcStatus(account.status()));
    return reactor;
  }
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(
      binding, request, binding.url_host, {.appid = (*account)->appid}, absl::ZeroDuration());
  if (!http.ok()) {
    reactor->Finish(ToGrpcStatus(http.status()));
    return reactor;
  }
  std::unique_ptr<Message> response = NewMessage(binding.method->output_type());
  const auto* url = response->GetDescriptor()->FindFieldByName("url");
  response->GetReflection()->SetString(response.get(), url,
                                       binding.url_fragment.empty()
                                           ? http->url
                                           : absl::StrCat(http->url, "#", binding.url_fragment));
  *response_bytes = ToByteBuffer(*response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* EndpointService::Handle(const EndpointBinding& binding,
                                                  grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request_bytes,
                                                  grpc::ByteBuffer* response_bytes) {
  std::shared_ptr<Message> request = NewMessage(binding.method->input_type());
  if (!ParseByteBuffer(*request_bytes, request.get())) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(GatewayError(
        absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST",
        absl::StrCat("the request is not a valid ", binding.method->input_type()->full_name()))));
    return reactor;
  }
  if (binding.answer == ANSWER_KIND_URL)
    return AnswerWithUrl(binding, context, *request, response_bytes);
  const std::string& base_url = deps_.base_url;
  auto build = [&binding, &base_url, request](const CallCredential& credential,
                                              absl::Duration timeout) {
    return BuildHttpRequest(binding, *request, base_url, credential, timeout);
  };
  auto on_answer = [&binding, response_bytes](const nlohmann::json& answer) {
    std::unique_ptr<Message> response = NewMessage(binding.method->output_type());
    if (absl::Status s = ReadAnswer(answer, response.get()); !s.ok()) return s;
    *response_bytes = ToByteBuffer(*response);
    return absl::OkStatus();
  };
  return ServeUpstream(context, deps_, admission_, MethodName(*binding.method),
                       binding.SendsToken(), std::move(build), std::move(on_answer));
}

}  // namespace wxgate
