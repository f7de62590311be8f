#include "service/server/event_service.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/call/call_record.h"
#include "service/call/message_bytes.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/errors/grpc_status.h"
#include "service/events/event_batch_wire.h"
#include "service/events/reply_encoder.h"
#include "service/events/stream_event_wire.h"
#include "service/observe/log.h"
#include "service/observe/metrics.h"
#include "service/observe/trace_context.h"
#include "wxgate/v1/event.pb.h"

namespace wxgate {
namespace {

// SubscribeBatchedRequest.max_batch: 0 asks for this, and no batch is larger than
// kMaxBatch events or (unless one event is larger alone) kMaxBatchBytes, well
// under the 4 MiB a gRPC client accepts by default.
constexpr uint32_t kDefaultMaxBatch = 100;
constexpr uint32_t kMaxBatch = 1000;
constexpr size_t kMaxBatchBytes = 1 << 20;

// One grpc::Slice over bytes shared with the event log and other subscribers: it
// holds a reference to them for as long as gRPC holds the slice.
grpc::ByteBuffer SharedByteBuffer(WireBytes bytes) {
  auto* held = new WireBytes(std::move(bytes));
  grpc::Slice slice(
      const_cast<char*>((*held)->data()), (*held)->size(),
      [](void* user_data) { delete static_cast<WireBytes*>(user_data); }, held);
  return grpc::ByteBuffer(&slice, 1);
}

// The hub's refusals, with the reasons a client switches on.
absl::Status WithReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOutOfRange:
      return GatewayError(Reason::kEventsNotRetained, status.message());
    case absl::StatusCode::kResourceExhausted:
      return GatewayError(Reason::kSubscriberTooSlow, status.message());
    case absl::StatusCode::kFailedPrecondition:
      return GatewayError(Reason::kReplyWindowClosed, status.message());
    default:
      return status;
  }
}

// Why the hub refused or ended a subscription.
absl::Status SubscriptionEnd(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return GatewayError(Reason::kUnknownCursor, status.message());
    case absl::StatusCode::kUnavailable:
      return GatewayError(Reason::kGatewayDraining, status.message());
    default:
      return WithReason(status);
  }
}

// wxgate_subscriptions_ended_total, with the reason a hub's error names.
void CountEnd(const char* reason) { GlobalMetrics().Count(Metric::kSubscriptionsEnded, {reason}); }

const char* EndReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      return "too_slow";
    case absl::StatusCode::kOutOfRange:
      return "not_retained";
    case absl::StatusCode::kUnavailable:
      return "draining";
    default:
      return "other";
  }
}

// How a stream frames its events: Subscribe writes each as a SubscribeResponse;
// SubscribeBatched writes up to max_batch in a SubscribeBatchedResponse.
struct Framing {
  bool batched = false;
  uint32_t max_batch = 1;
};

Framing BatchedFraming(uint32_t max_batch) {
  if (max_batch == 0) max_batch = kDefaultMaxBatch;
  return {.batched = true, .max_batch = std::min(max_batch, kMaxBatch)};
}

// Serves Subscribe and SubscribeBatched alike, but for how events are framed.
class SubscribeReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // `slot` is null when `admitted` is an error.
  SubscribeReactor(EventHub& hub, const AdmittedCall& call, const v1::SubscribeRequest& request,
                   Framing framing, const absl::Status& admitted,
                   std::unique_ptr<SubscriptionQuota::Slot> slot)
      : include_raw_xml_(request.include_raw_xml()), framing_(framing), slot_(std::move(slot)) {
    if (!admitted.ok()) {
      Finish(ToGrpcStatus(admitted));
      return;
    }
    auto subscription = hub.Subscribe(
        request, [this] { Pump(); }, call.caller);
    if (!subscription.ok()) {
      Finish(ToGrpcStatus(SubscriptionEnd(subscription.status())));
      return;
    }
    subscription_ = *std::move(subscription);
    const std::shared_ptr<CallRecord> record = CallRecordOf(*call.context);
    Log(LogLevel::kInfo, "events_subscribed",
        {{"request_id", record != nullptr ? record->request_id() : ""},
         {"trace_id", record != nullptr ? record->trace().trace_id : ""},
         {"caller", call.caller},
         {"group", request.group()},
         {"replies", request.replies() ? "yes" : "no"},
         {"max_batch", framing.batched ? absl::StrCat(framing.max_batch) : "none"}});
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        // The stream broke: what was being written goes back to a group (EndLocked).
        if (!finished_) CountEnd(cancelled_ ? "cancelled" : "broken");
        EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
        return;
      }
      for (const EventHub::EventPtr& event : in_flight_) subscription_->Delivered(event);
      in_flight_.clear();
    }
    Pump();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (writing_ || finished_) return;  // a write in flight fails and ends the stream
    CountEnd("cancelled");
    EndLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // The slot goes first: once the hub counts one subscriber less, the slot is free.
    slot_.reset();
    subscription_.reset();  // after this, the hub calls Pump() no more
    delete this;
  }

 private:
  // Starts writing the next event or batch, if idle and one is ready.
  void Pump() {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_) return;
    // What a batch could not hold goes first; only then more is taken, so that an
    // error's "resume after cursor" never skips an event taken but not sent.
    if (ready_.empty()) {
      absl::StatusOr<std::vector<EventHub::EventPtr>> next =
          subscription_->NextBatch(framing_.max_batch);
      if (!next.ok()) {
        CountEnd(EndReason(next.status()));
        return EndLocked(ToGrpcStatus(SubscriptionEnd(next.status())));
      }
      if (next->empty()) return;  // the hub wakes us
      ready_.assign(std::make_move_iterator(next->begin()), std::make_move_iterator(next->end()));
    }
    pending_ = framing_.batched ? TakeBatch() : TakeOne();
    writing_ = true;
    StartWrite(&pending_);
  }

  // The first ready event as a SubscribeResponse, serialized once per event (and
  // form) for every subscriber, not once each.
  grpc::ByteBuffer TakeOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    in_flight_.push_back(std::move(ready_.front()));
    ready_.pop_front();
    return SharedByteBuffer(WireBytesOf(in_flight_.back(), include_raw_xml_));
  }

  // The ready events a SubscribeBatchedResponse holds: each event's shared bytes
  // copied behind its field header, none serialized again.
  grpc::ByteBuffer TakeBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<WireBytes> parts;
    size_t size = 0;
    while (!ready_.empty()) {
      WireBytes bytes = WireBytesOf(ready_.front(), include_raw_xml_);
      const size_t entry = BatchEntrySize(bytes->size());
      if (!parts.empty() && size + entry > kMaxBatchBytes) break;
      size += entry;
      parts.push_back(std::move(bytes));
      in_flight_.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    auto batch = std::make_shared<std::string>();
    batch->reserve(size);
    for (const WireBytes& part : parts) AppendBatchEntry(*part, *batch);
    return SharedByteBuffer(std::move(batch));
  }

  // Ends the stream once. The events taken but not written (being written when the
  // stream broke, or left over from a full batch) go back to a group, in order.
  void EndLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    std::vector<EventHub::EventPtr> unwritten = std::move(in_flight_);
    in_flight_.clear();
    unwritten.insert(unwritten.end(), std::make_move_iterator(ready_.begin()),
                     std::make_move_iterator(ready_.end()));
    ready_.clear();
    if (!unwritten.empty()) subscription_->GiveBack(std::move(unwritten));
    Finish(status);
  }

  const bool include_raw_xml_;
  const Framing framing_;
  std::unique_ptr<SubscriptionQuota::Slot> slot_;
  std::unique_ptr<EventHub::Subscription> subscription_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;  // the client left or its deadline passed
  // Taken from the hub, not written yet: what the last batch could not hold.
  std::deque<EventHub::EventPtr> ready_ ABSL_GUARDED_BY(mu_);
  // Being written, oldest first.
  std::vector<EventHub::EventPtr> in_flight_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer pending_ ABSL_GUARDED_BY(mu_);
};

// The subscription a Subscribe or SubscribeBatched request asks for.
const v1::SubscribeRequest& SubscriptionOf(const google::protobuf::Message& request) {
  if (request.GetDescriptor() == v1::SubscribeBatchedRequest::descriptor()) {
    return RequestAs<v1::SubscribeBatchedRequest>(request).subscription();
  }
  return RequestAs<v1::SubscribeRequest>(request);
}

// Opens a subscription for either RPC, within the caller's quota of live streams.
grpc::ServerWriteReactor<grpc::ByteBuffer>* OpenSubscription(EventHub& hub,
                                                             SubscriptionQuota& quota,
                                                             const AdmittedCall& call,
                                                             const v1::SubscribeRequest& request,
                                                             Framing framing) {
  absl::StatusOr<std::unique_ptr<SubscriptionQuota::Slot>> slot = quota.Acquire(call.caller);
  if (!slot.ok()) {
    const std::shared_ptr<CallRecord> record = CallRecordOf(*call.context);
    Log(LogLevel::kWarning, "subscribe_refused",
        {{"request_id", record != nullptr ? record->request_id() : ""},
         {"trace_id", record != nullptr ? record->trace().trace_id : ""},
         {"caller", call.caller},
         {"reason", slot.status().message()}});
    GlobalMetrics().Count(Metric::kCallerRefusals, {call.caller, "too_many_subscriptions"});
    return new SubscribeReactor(hub, call, request, framing, slot.status(), nullptr);
  }
  return new SubscribeReactor(hub, call, request, framing, absl::OkStatus(), *std::move(slot));
}

// The appids a Subscribe acts for: its filter's accounts and components, or every
// account.
std::vector<std::string> SubscribedAppids(const google::protobuf::Message& request) {
  const v1::EventFilter& filter = SubscriptionOf(request).filter();
  if (filter.appids().empty() && filter.component_appids().empty()) {
    return {std::string(kAllAppids)};
  }
  std::vector<std::string> appids(filter.appids().begin(), filter.appids().end());
  appids.insert(appids.end(), filter.component_appids().begin(), filter.component_appids().end());
  return appids;
}

void RespondToReply(UnaryCall& call, absl::Status status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    status = GatewayError(Reason::kInvalidReply, status.message());
  }
  if (!status.ok()) return call.Respond(WithReason(status));
  call.Respond(std::make_unique<v1::ReplyResponse>());
}

// A reply to a push another replica holds: encoded here, so that a malformed reply
// is refused to its sender, then handed over.
void ForwardReply(UnaryCall& call, RedisReplyRelay& relay, const wechat::mp::v1::Event& push,
                  const std::optional<wechat::mp::v1::Reply>& reply) {
  std::optional<std::string> reply_xml;
  if (reply.has_value()) {
    absl::StatusOr<std::string> xml = EncodeReply(*reply, push, absl::ToUnixSeconds(absl::Now()));
    if (!xml.ok()) return RespondToReply(call, xml.status());
    reply_xml = *std::move(xml);
  }
  relay.Forward(push.id(), reply_xml,
                [&call](absl::Status status) { RespondToReply(call, std::move(status)); });
}

// Puts the trace of the push a Reply answers into the Reply's call line, so that
// the push can be followed from WeChat's POST to the subscriber's answer.
void NoteAnsweredTrace(UnaryCall& call, const ReplyBroker& broker, RedisReplyRelay* relay,
                       const std::string& event_id) {
  std::shared_ptr<CallRecord> record = CallRecordOf(*call.admitted().context);
  if (record == nullptr) return;
  std::shared_ptr<const wechat::mp::v1::Event> push = broker.PushOf(event_id);
  if (push == nullptr && relay != nullptr) push = relay->Find(event_id);
  if (push == nullptr) return;
  if (std::optional<TraceContext> trace = ParseTraceparent(push->traceparent())) {
    record->Answers(trace->trace_id);
  }
}

}  // namespace

std::unique_ptr<AdmittedService> ServeEvents(EventHub& hub, ReplyBroker& broker,
                                             RedisReplyRelay* relay, const CallAdmission& admission,
                                             SubscriptionQuota& quota) {
  auto service =
      std::make_unique<AdmittedService>(ServiceOf<v1::SubscribeRequest>("EventService"), admission);
  service->HandleServerStream(
      "Subscribe",
      [&hub, &quota](const AdmittedCall& call,
                     MessagePtr message) -> grpc::ServerWriteReactor<grpc::ByteBuffer>* {
        return OpenSubscription(hub, quota, call, RequestAs<v1::SubscribeRequest>(*message),
                                Framing());
      },
      SubscribedAppids);
  service->HandleServerStream(
      "SubscribeBatched",
      [&hub, &quota](const AdmittedCall& call,
                     MessagePtr message) -> grpc::ServerWriteReactor<grpc::ByteBuffer>* {
        const auto& request = RequestAs<v1::SubscribeBatchedRequest>(*message);
        return OpenSubscription(hub, quota, call, request.subscription(),
                                BatchedFraming(request.max_batch()));
      },
      SubscribedAppids);
  service->HandleUnary(
      "Reply",
      [&broker, relay](UnaryCall& call, MessagePtr message) {
        const auto& request = RequestAs<v1::ReplyRequest>(*message);
        NoteAnsweredTrace(call, broker, relay, request.event_id());
        std::optional<wechat::mp::v1::Reply> reply;
        if (request.has_reply()) reply = request.reply();
        absl::Status status = broker.Reply(request.event_id(), reply);
        if (status.ok() && relay != nullptr) relay->Withdraw(request.event_id());
        if (status.code() == absl::StatusCode::kFailedPrecondition && relay != nullptr) {
          if (RedisReplyRelay::EventPtr push = relay->Find(request.event_id())) {
            return ForwardReply(call, *relay, *push, reply);
          }
        }
        RespondToReply(call, status);
      },
      // A push no longer waiting has no appid to check: the caller need only be known.
      [&broker, relay](const google::protobuf::Message& message) {
        const std::string& event_id = RequestAs<v1::ReplyRequest>(message).event_id();
        std::string appid = broker.AppidOf(event_id);
        if (appid.empty() && relay != nullptr) {
          if (RedisReplyRelay::EventPtr push = relay->Find(event_id)) appid = push->appid();
        }
        return appid.empty() ? std::vector<std::string>{} : std::vector<std::string>{appid};
      });
  return service;
}

}  // namespace wxgate
