#include "service/server/upstream_reactor.h"

#include <chrono>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "service/errors/grpc_status.h"

namespace wxgate {
namespace {

// Owns itself until gRPC says the call is done; forwards the caller's cancel.
class UpstreamReactor : public grpc::ServerUnaryReactor {
 public:
  void Attach(std::shared_ptr<UpstreamCall> call) {
    absl::MutexLock lock(&mu_);
    call_ = std::move(call);
    if (cancelled_) call_->Cancel();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (call_) call_->Cancel();
  }

  void OnDone() override { delete this; }

 private:
  absl::Mutex mu_;
  std::shared_ptr<UpstreamCall> call_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

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
               on_answer = std::move(on_answer)](absl::StatusOr<nlohmann::json> outcome) mutable {
    absl::Status status = outcome.ok() ? std::move(on_answer)(*outcome) : outcome.status();
    reactor->Finish(ToGrpcStatus(status));
  };
  auto call = UpstreamCall::Create(deps, **account, needs_token, std::move(build),
                                   DeadlineOf(*context), std::move(done));
  reactor->Attach(call);  // before Begin: once done runs, the reactor may be gone
  call->Begin();
  return reactor;
}

}  // namespace wxgate
