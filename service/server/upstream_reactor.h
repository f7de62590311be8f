// ServeUpstream: the unary reactor shared by every method that calls WeChat.
//
//   return ServeUpstream(ctx, deps, admission, "pkg.Service/Method", needs_token, build,
//                        [response](const nlohmann::json& answer) { …fill response…; });
//
// It admits the call (CallAdmission: its account and its caller's right), runs an UpstreamCall
// bounded by the caller's deadline, aborts the transfer when the caller cancels,
// and finishes with `on_answer`'s status, converted once by ToGrpcStatus.
#ifndef WXGATE_SERVICE_SERVER_UPSTREAM_REACTOR_H_
#define WXGATE_SERVICE_SERVER_UPSTREAM_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "service/server/call_admission.h"
#include "service/server/upstream_call.h"

namespace wxgate {

// The caller's deadline (InfiniteFuture when it set none).
absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

using AnswerHandler = absl::AnyInvocable<absl::Status(const nlohmann::json& answer) &&>;

grpc::ServerUnaryReactor* ServeUpstream(grpc::CallbackServerContext* context,
                                        const UpstreamDeps& deps, const CallAdmission& admission,
                                        absl::string_view method, bool needs_token,
                                        UpstreamCall::Build build, AnswerHandler on_answer);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_UPSTREAM_REACTOR_H_
