#include "service/server/upstream_reactor.h"

#include <chrono>
#include <memory>

#include "service/errors/grpc_status.h"

namespace wxgate {
namespace {

// Owns itself until gRPC says the call is done; forwards the caller's cancel.
class UpstreamReactor : public grpc::ServerUnaryReactor {
 public:
  void Attach(std::shared_ptr<UpstreamCall> call) { cancellation_.Attach(std::move(call)); }
  void OnCancel() override { cancellation_.Cancel(); }
  void OnDone() override { delete this; }

 private:
  CallCancellation cancellation_;
};

}  // namespace

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

grpc::ServerUnaryReactor* ServeUpstream(grpc::CallbackServerContext* context,
                                        const UpstreamDeps& deps, const CallAdmission& admission,
                                        absl::string_view method, bool needs_token,
                                        UpstreamCall::Build build, AnswerHandler on_answer) {
  auto* reactor = new UpstreamReactor();
  absl::StatusOr<const Account*> account = admission.Admit(*context, method);
  if (!account.ok()) {
    reactor->Finish(ToGrpcStatus(account.status()));
    return reactor;
  }
  auto done = [reactor,
               on_answer = std::move(on_answer)](absl::StatusOr<CheckedAnswer> outcome) mutable {
    absl::Status status = outcome.ok() ? std::move(on_answer)(outcome->json) : outcome.status();
    reactor->Finish(ToGrpcStatus(status));
  };
  auto call = UpstreamCall::Create(deps, **account, needs_token, std::move(build),
                                   DeadlineOf(*context), std::move(done));
  reactor->Attach(call);  // before Begin: once done runs, the reactor may be gone
  call->Begin();
  return reactor;
}

}  // namespace wxgate
