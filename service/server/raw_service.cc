#include "service/server/raw_service.h"

#include <utility>

#include "service/transcode/raw_call.h"
#include "wxgate/v1/raw.pb.h"

namespace wxgate {

std::unique_ptr<AdmittedService> ServeRawCalls(const UpstreamDeps& deps,
                                               const CallAdmission& admission) {
  auto service =
      std::make_unique<AdmittedService>(ServiceOf<v1::CallRequest>("RawService"), admission);
  service->HandleUnary("Call", [&deps](UnaryCall& call, MessagePtr request) {
    absl::StatusOr<UpstreamRequest> upstream =
        TranscodeRawCall(RequestAs<v1::CallRequest>(*request));
    if (!upstream.ok()) return call.Respond(upstream.status());
    absl::StatusOr<const Account*> account =
        CredentialAccount(call.admitted(), upstream->credential);
    if (!account.ok()) return call.Respond(account.status());
    auto exchange = UpstreamExchange::Create(deps, **account, *std::move(upstream),
                                             ANSWER_KIND_JSON, call.admitted().deadline,
                                             [&call](absl::StatusOr<CheckedAnswer> answer) {
                                               if (!answer.ok())
                                                 return call.Respond(answer.status());
                                               auto response = std::make_unique<v1::CallResponse>();
                                               response->set_json(answer->json.dump());
                                               call.Respond(std::move(response));
                                             });
    call.AbortOnCancel(exchange);  // before Begin: once it answers, the call may be gone
    exchange->Begin();
  });
  return service;
}

}  // namespace wxgate
