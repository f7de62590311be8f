#include "service/server/endpoint_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/call/message_bytes.h"
#include "service/server/download_reactor.h"
#include "service/server/upload_reactor.h"
#include "service/transcode/request_transcoder.h"
#include "service/transcode/upload_request.h"

namespace wxgate {
namespace {

using google::protobuf::Message;

// ANSWER_KIND_URL: the URL the request makes, for a browser; WeChat is not called.
void AnswerWithUrl(const EndpointBinding& binding, const UpstreamDeps& deps, UnaryCall& call,
                   const UpstreamRequest& request) {
  absl::StatusOr<const Account*> account = CredentialAccount(call.admitted(), request.credential);
  if (!account.ok()) return call.Respond(account.status());
  deps.credentials->Get(
      **account, request.credential, request.permission_sets,
      [&binding, &call, request](absl::StatusOr<CallCredential> credential) {
        if (!credential.ok()) return call.Respond(credential.status());
        absl::StatusOr<HttpRequest> http =
            BuildHttpRequest(request, binding.url_host, *credential, absl::ZeroDuration());
        if (!http.ok()) return call.Respond(http.status());
        MessagePtr response = NewMessage(binding.method->output_type());
        response->GetReflection()->SetString(
            response.get(), response->GetDescriptor()->FindFieldByName("url"),
            binding.url_fragment.empty() ? http->url
                                         : absl::StrCat(http->url, "#", binding.url_fragment));
        call.Respond(std::move(response));
      });
}

void CallEndpoint(const EndpointBinding& binding, const UpstreamDeps& deps, UnaryCall& call,
                  MessagePtr request) {
  absl::Status fits = CheckUploadSize(UploadBytes(binding, *request), deps.max_upload_bytes);
  if (!fits.ok()) return call.Respond(fits);
  absl::StatusOr<UpstreamRequest> upstream = TranscodeRequest(binding, *request);
  if (!upstream.ok()) return call.Respond(upstream.status());
  if (binding.answer == ANSWER_KIND_URL) return AnswerWithUrl(binding, deps, call, *upstream);
  absl::StatusOr<const Account*> account = CredentialAccount(call.admitted(), upstream->credential);
  if (!account.ok()) return call.Respond(account.status());
  auto exchange = UpstreamExchange::Create(
      deps, **account, *std::move(upstream), binding.answer, call.admitted().deadline,
      [&binding, &call](absl::StatusOr<CheckedAnswer> answer) {
        if (!answer.ok()) return call.Respond(answer.status());
        call.Respond(AnswerMessage(binding.method->output_type(), answer->json));
      });
  call.AbortOnCancel(exchange);  // before Begin: once it answers, the call may be gone
  exchange->Begin();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdmittedService>> ServeEndpoints(const ServiceEndpoints& endpoints,
                                                                const UpstreamDeps& deps,
                                                                const CallAdmission& admission) {
  auto service = std::make_unique<AdmittedService>(*endpoints.service, admission);
  for (const EndpointBinding& binding : endpoints.bindings) {
    const std::string& name = binding.method->name();
    if (binding.chunk_field != nullptr) {
      service->HandleServerStream(name,
                                  [&binding, &deps](const AdmittedCall& call, MessagePtr request) {
                                    return ServeDownload(call, deps, binding, *request);
                                  });
    } else if (binding.method->client_streaming()) {
      service->HandleClientStream(
          name, [&binding, &deps](const AdmittedCall& call, grpc::ByteBuffer* response) {
            return ServeUpload(call, deps, binding, response);
          });
    } else {
      service->HandleUnary(name, [&binding, &deps](UnaryCall& call, MessagePtr request) {
        CallEndpoint(binding, deps, call, std::move(request));
      });
    }
  }
  if (std::vector<std::string> problems = service->Problems(); !problems.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        endpoints.service->full_name(), " cannot be served: ", absl::StrJoin(problems, "; ")));
  }
  return service;
}

}  // namespace wxgate
