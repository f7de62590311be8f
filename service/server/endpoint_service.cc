#include "service/server/endpoint_service.h"

#include <google/protobuf/message.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/server_callback.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/grpc_status.h"
#include "service/server/download_reactor.h"
#include "service/server/message_bytes.h"
#include "service/server/upload_reactor.h"
#include "service/server/upstream_reactor.h"
#include "service/transcode/answer_parser.h"
#include "service/transcode/request_builder.h"
#include "service/transcode/upload_request.h"

namespace wxgate {

using google::protobuf::Message;

EndpointService::EndpointService(std::vector<EndpointBinding> bindings, const UpstreamDeps& deps,
                                 const CallAdmission& admission)
    : bindings_(std::move(bindings)), deps_(deps), admission_(admission) {
  using grpc::internal::RpcMethod;
  for (size_t i = 0; i < bindings_.size(); ++i) {
    const EndpointBinding& binding = bindings_[i];
    const auto& method = *binding.method;
    method_paths_.push_back(absl::StrCat("/", method.service()->full_name(), "/", method.name()));
    const int index = static_cast<int>(i);
    auto add = [&](RpcMethod::RpcType type) {
      AddMethod(new grpc::internal::RpcServiceMethod(method_paths_.back().c_str(), type, nullptr));
    };
    if (binding.chunk_field != nullptr) {
      add(RpcMethod::SERVER_STREAMING);
      MarkMethodRawCallback(
          index,
          new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
              [this, &binding](grpc::CallbackServerContext* context,
                               const grpc::ByteBuffer* request) {
                return ServeDownload(context, deps_, admission_, binding, *request);
              }));
    } else if (method.client_streaming()) {
      add(RpcMethod::CLIENT_STREAMING);
      MarkMethodRawCallback(
          index,
          new grpc::internal::CallbackClientStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
              [this, &binding](grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
                return ServeUpload(context, deps_, admission_, binding, response);
              }));
    } else {
      add(RpcMethod::NORMAL_RPC);
      MarkMethodRawCallback(
          index, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                     [this, &binding](grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
                       return Handle(binding, context, request, response);
                     }));
    }
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
  absl::Status parsed = ParseRequest(*request_bytes, request.get());
  if (parsed.ok()) parsed = CheckUploadSize(UploadBytes(binding, *request), deps_.max_upload_bytes);
  if (!parsed.ok()) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(parsed));
    return reactor;
  }
  if (binding.answer == ANSWER_KIND_URL)
    return AnswerWithUrl(binding, context, *request, response_bytes);
  auto build = [&binding, base_url = deps_.BaseUrlFor(binding.host), request](
                   const CallCredential& credential, absl::Duration timeout) {
    return BuildHttpRequest(binding, *request, base_url, credential, timeout);
  };
  auto on_answer = [&binding, response_bytes](const nlohmann::json& answer) {
    absl::StatusOr<grpc::ByteBuffer> bytes = AnswerBytes(binding.method->output_type(), answer);
    if (!bytes.ok()) return bytes.status();
    *response_bytes = *std::move(bytes);
    return absl::OkStatus();
  };
  return ServeUpstream(context, deps_, admission_, MethodName(*binding.method),
                       binding.SendsToken(), std::move(build), std::move(on_answer));
}

}  // namespace wxgate
