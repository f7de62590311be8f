// CallEndpoint: one unary call of a (wxgate.endpoint) method, for an admitted call:
// the request transcoded (TranscodeRequest), sent through an UpstreamExchange and
// WeChat's answer read into the method's output type; for ANSWER_KIND_URL the URL
// the request makes, without calling WeChat.
//
//   CallEndpoint(binding, deps, call, request, [](absl::StatusOr<MessagePtr> answer) {…});
//
// EndpointService answers each unary method with it; the gateway's own services
// use it to chain endpoints (AuthorizationService). The exchange is attached to the
// call's cancellation. `done` runs once, on any thread.
#ifndef WXGATE_SERVICE_SERVER_ENDPOINT_CALL_H_
#define WXGATE_SERVICE_SERVER_ENDPOINT_CALL_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "service/call/admitted_service.h"
#include "service/call/upstream_exchange.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

void CallEndpoint(const EndpointBinding& binding, const UpstreamDeps& deps, UnaryCall& call,
                  const google::protobuf::Message& request,
                  absl::AnyInvocable<void(absl::StatusOr<MessagePtr>) &&> done);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_ENDPOINT_CALL_H_
