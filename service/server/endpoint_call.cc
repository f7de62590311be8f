#include "service/server/endpoint_call.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/call/message_bytes.h"
#include "service/transcode/request_transcoder.h"
#include "service/transcode/upload_request.h"

namespace wxgate {
namespace {

using Done = absl::AnyInvocable<void(absl::StatusOr<MessagePtr>) &&>;

// ANSWER_KIND_URL: the URL the request makes, for a browser; WeChat is not called.
void AnswerWithUrl(const EndpointBinding& binding, const UpstreamDeps& deps,
                   const AdmittedCall& call, const UpstreamRequest& request, Done done) {
  absl::StatusOr<const Account*> account = CredentialAccount(call, request.credential);
  if (!account.ok()) return std::move(done)(account.status());
  deps.credentials->Get(
      **account, request.credential, request.permission_sets,
      [&binding, request,
       done = std::move(done)](absl::StatusOr<CallCredential> credential) mutable {
        if (!credential.ok()) return std::move(done)(credential.status());
        absl::StatusOr<HttpRequest> http =
            BuildHttpRequest(request, binding.url_host, *credential, absl::ZeroDuration());
        if (!http.ok()) return std::move(done)(http.status());
        MessagePtr response = NewMessage(binding.method->output_type());
        response->GetReflection()->SetString(
            response.get(), response->GetDescriptor()->FindFieldByName("url"),
            binding.url_fragment.empty() ? http->url
                                         : absl::StrCat(http->url, "#", binding.url_fragment));
        std::move(done)(std::move(response));
      });
}

}  // namespace

void CallEndpoint(const EndpointBinding& binding, const UpstreamDeps& deps, UnaryCall& call,
                  const google::protobuf::Message& request, Done done) {
  absl::Status fits = CheckUploadSize(UploadBytes(binding, request), deps.max_upload_bytes);
  if (!fits.ok()) return std::move(done)(fits);
  absl::StatusOr<UpstreamRequest> upstream = TranscodeRequest(binding, request);
  if (!upstream.ok()) return std::move(done)(upstream.status());
  if (!binding.component_appid_param.empty()) {
    absl::StatusOr<const Account*> component =
        CredentialAccount(call.admitted(), CredentialKind::kComponentAccessToken);
    if (!component.ok()) return std::move(done)(component.status());
    // A default: a component_appid the request names wins.
    upstream->defaults.emplace_back(binding.component_appid_param, (*component)->appid);
  }
  if (binding.answer == ANSWER_KIND_URL) {
    return AnswerWithUrl(binding, deps, call.admitted(), *upstream, std::move(done));
  }
  absl::StatusOr<const Account*> account = CredentialAccount(call.admitted(), upstream->credential);
  if (!account.ok()) return std::move(done)(account.status());
  auto exchange = UpstreamExchange::Create(
      deps, **account, *std::move(upstream), binding.answer, call.admitted().deadline,
      [&binding, done = std::move(done)](absl::StatusOr<CheckedAnswer> answer) mutable {
        if (!answer.ok()) return std::move(done)(answer.status());
        std::move(done)(AnswerMessage(binding.method->output_type(), answer->json));
      });
  call.AbortOnCancel(exchange);  // before Begin: once it answers, the call may be gone
  exchange->Begin();
}

}  // namespace wxgate
