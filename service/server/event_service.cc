#include "service/server/event_service.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "service/errors/error_info.h"
#include "service/errors/grpc_status.h"
#include "service/observe/log.h"

namespace wxgate {
namespace {

// The hub's refusals, with the reasons a client switches on.
absl::Status WithReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOutOfRange:
      return GatewayError(status.code(), "EVENTS_NOT_RETAINED", status.message());
    case absl::StatusCode::kResourceExhausted:
      return GatewayError(status.code(), "SUBSCRIBER_TOO_SLOW", status.message());
    case absl::StatusCode::kFailedPrecondition:
      return GatewayError(status.code(), "REPLY_WINDOW_CLOSED", status.message());
    default:
      return status;
  }
}

class SubscribeReactor : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
 public:
  // `slot` is null when `admitted` is an error.
  SubscribeReactor(EventHub& hub, const v1::SubscribeRequest& request, const absl::Status& admitted,
                   std::unique_ptr<SubscriptionQuota::Slot> slot)
      : include_raw_xml_(request.include_raw_xml()), slot_(std::move(slot)) {
    if (!admitted.ok()) {
      Finish(ToGrpcStatus(admitted));
      return;
    }
    auto subscription = hub.Subscribe(request, [this] { Pump(); });
    if (!subscription.ok()) {
      Finish(ToGrpcStatus(GatewayError(subscription.status().code(), "UNKNOWN_CURSOR",
                                       subscription.status().message())));
      return;
    }
    subscription_ = *std::move(subscription);
    Log(LogLevel::kInfo, "events_subscribed",
        {{"group", request.group()}, {"replies", request.replies() ? "yes" : "no"}});
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        // The stream broke: the event in flight goes back to a group, if any.
        if (in_flight_) subscription_->GiveBack(std::move(in_flight_));
        EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
        return;
      }
      in_flight_.reset();
    }
    Pump();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (!writing_) EndLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // The slot goes first: once the hub counts one subscriber less, the slot is free.
    slot_.reset();
    subscription_.reset();  // after this, the hub calls Pump() no more
    delete this;
  }

 private:
  // Starts writing the next event, if idle and one is ready.
  void Pump() {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_) return;
    absl::StatusOr<EventHub::EventPtr> next = subscription_->Next();
    if (!next.ok()) return EndLocked(ToGrpcStatus(WithReason(next.status())));
    if (*next == nullptr) return;  // the hub wakes us
    in_flight_ = *std::move(next);
    response_.mutable_event()->CopyFrom(*in_flight_);
    if (!include_raw_xml_ && !in_flight_->has_unknown()) response_.mutable_event()->clear_raw_xml();
    writing_ = true;
    StartWrite(&response_);
  }

  void EndLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  const bool include_raw_xml_;
  std::unique_ptr<SubscriptionQuota::Slot> slot_;
  std::unique_ptr<EventHub::Subscription> subscription_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  EventHub::EventPtr in_flight_ ABSL_GUARDED_BY(mu_);
  v1::SubscribeResponse response_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerWriteReactor<v1::SubscribeResponse>* EventService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  constexpr absl::string_view kMethod = "wxgate.v1.EventService/Subscribe";
  absl::StatusOr<std::string> caller = std::string();  // replaced by the first check
  if (request->filter().appids().empty()) {
    caller = admission_.AdmitCallerFor(*context, kMethod, kAllAppids);
  }
  for (const std::string& appid : request->filter().appids()) {
    if (caller.ok()) caller = admission_.AdmitCallerFor(*context, kMethod, appid);
  }
  if (!caller.ok()) return new SubscribeReactor(hub_, *request, caller.status(), nullptr);
  absl::StatusOr<std::unique_ptr<SubscriptionQuota::Slot>> slot = quota_.Acquire(*caller);
  if (!slot.ok()) {
    Log(LogLevel::kWarning, "subscribe_refused",
        {{"caller", *caller}, {"reason", slot.status().message()}});
    return new SubscribeReactor(hub_, *request, slot.status(), nullptr);
  }
  return new SubscribeReactor(hub_, *request, absl::OkStatus(), *std::move(slot));
}

grpc::ServerUnaryReactor* EventService::Reply(grpc::CallbackServerContext* context,
                                              const v1::ReplyRequest* request,
                                              v1::ReplyResponse* response) {
  auto* reactor = context->DefaultReactor();
  constexpr absl::string_view kMethod = "wxgate.v1.EventService/Reply";
  // A push no longer waiting has no appid to check: the caller need only be known.
  const std::string appid = broker_.AppidOf(request->event_id());
  absl::Status admitted = appid.empty() ? admission_.Identify(*context).status()
                                        : admission_.AdmitFor(*context, kMethod, appid);
  if (!admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  std::optional<wechat::mp::v1::Reply> reply;
  if (request->has_reply()) reply = request->reply();
  absl::Status status = broker_.Reply(request->event_id(), reply);
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    status = GatewayError(status.code(), "INVALID_REPLY", status.message());
  }
  reactor->Finish(ToGrpcStatus(WithReason(status)));
  return reactor;
}

}  // namespace wxgate
