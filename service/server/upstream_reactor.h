// ServeUpstream: the unary reactor shared by every method that calls WeChat.
//
//   return ServeUpstream(ctx, deps, accounts, needs_token, build,
//                        [response](const nlohmann::json& answer) { …fill response…; });
//
// It resolves the call's account (x-wx-appid or the default), runs an UpstreamCall
// bounded by the caller's deadline, aborts the transfer when the caller cancels,
// and finishes with `on_answer`'s status, converted once by ToGrpcStatus.
#ifndef WXGATE_SERVICE_SERVER_UPSTREAM_REACTOR_H_
#define WXGATE_SERVICE_SERVER_UPSTREAM_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "service/server/account_directory.h"
#include "service/server/upstream_call.h"

namespace wxgate {

using AnswerHandler = absl::AnyInvocable<absl::Status(const nlohmann::json& answer) &&>;

grpc::ServerUnaryReactor* ServeUpstream(grpc::CallbackServerContext* context,
                                        const UpstreamDeps& deps, const AccountDirectory& accounts,
                                        bool needs_token, UpstreamCall::Build build,
                                        AnswerHandler on_answer);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_UPSTREAM_REACTOR_H_
