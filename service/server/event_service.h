// EventService: wxgate.v1.EventService over the EventHub and the ReplyBroker.
//
// Subscribe is a server stream that writes one event at a time: when a write
// completes it pulls the next event from its hub subscription; when none is ready
// it waits for the hub's wake-up. So a slow subscriber only falls behind in the
// log, never holds up the hub or other subscribers, and is ended by the hub
// (RESOURCE_EXHAUSTED) when it falls too far behind. A group member's event that
// could not be written goes back to its group.
//
// Subscribe is admitted for each appid of its filter (an empty filter means every
// account), Reply for the appid of the push it answers. Each live Subscribe holds
// one of its caller's slots in the SubscriptionQuota until the stream ends.
//
// Errors carry ErrorInfo reasons: EVENTS_NOT_RETAINED (OUT_OF_RANGE),
// SUBSCRIBER_TOO_SLOW and TOO_MANY_SUBSCRIPTIONS (RESOURCE_EXHAUSTED),
// UNKNOWN_CURSOR and INVALID_REPLY
// (INVALID_ARGUMENT), REPLY_WINDOW_CLOSED (FAILED_PRECONDITION).
#ifndef WXGATE_SERVICE_SERVER_EVENT_SERVICE_H_
#define WXGATE_SERVICE_SERVER_EVENT_SERVICE_H_

#include "service/events/event_hub.h"
#include "service/events/reply_broker.h"
#include "service/server/call_admission.h"
#include "service/server/subscription_quota.h"
#include "wxgate/v1/event.grpc.pb.h"

namespace wxgate {

class EventService : public wxgate::v1::EventService::CallbackService {
 public:
  // Does not own `hub`, `broker`, `admission` or `quota`; `quota` outlives every
  // stream.
  EventService(EventHub& hub, ReplyBroker& broker, const CallAdmission& admission,
               SubscriptionQuota& quota)
      : hub_(hub), broker_(broker), admission_(admission), quota_(quota) {}

  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context,
                                  const v1::ReplyRequest* request,
                                  v1::ReplyResponse* response) override;

 private:
  EventHub& hub_;
  ReplyBroker& broker_;
  const CallAdmission& admission_;
  SubscriptionQuota& quota_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_EVENT_SERVICE_H_
