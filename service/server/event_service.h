// ServeEvents: wxgate.v1.EventService over the EventHub and the ReplyBroker.
//
//   std::unique_ptr<AdmittedService> events =
//       ServeEvents(hub, broker, /*relay=*/nullptr, admission, quota);
//   builder.RegisterService(events.get());
//
// Subscribe is a server stream that writes one event at a time: when a write
// completes it pulls the next event from its hub subscription; when none is ready
// it waits for the hub's wake-up. So a slow subscriber only falls behind in the
// log, never holds up the hub or other subscribers, and is ended by the hub
// (RESOURCE_EXHAUSTED) when it falls too far behind. A group member's event that
// could not be written goes back to its group.
//
// SubscribeBatched is the same stream, but each write carries every event ready
// (up to max_batch, 1 MiB) in a SubscribeBatchedResponse built from the events'
// shared bytes: one write, frame and wake-up per batch instead of per event.
// One event per write while the subscriber keeps up; batches as it falls behind.
//
// The caller is known before a request is read (AdmittedService); then Subscribe and
// SubscribeBatched are admitted for each appid of their filter (an empty filter
// means every account), Reply for the appid of the push it answers. Each live
// subscription of either kind holds one of its caller's slots in the
// SubscriptionQuota until the stream ends.
//
// Errors carry ErrorInfo reasons: EVENTS_NOT_RETAINED (OUT_OF_RANGE),
// SUBSCRIBER_TOO_SLOW and TOO_MANY_SUBSCRIPTIONS (RESOURCE_EXHAUSTED),
// UNKNOWN_CURSOR and INVALID_REPLY
// (INVALID_ARGUMENT), REPLY_WINDOW_CLOSED (FAILED_PRECONDITION).
#ifndef WXGATE_SERVICE_SERVER_EVENT_SERVICE_H_
#define WXGATE_SERVICE_SERVER_EVENT_SERVICE_H_

#include "service/call/admitted_service.h"
#include "service/events/event_hub.h"
#include "service/events/redis_reply_relay.h"
#include "service/events/reply_broker.h"
#include "service/server/subscription_quota.h"

namespace wxgate {

// Does not own `hub`, `broker`, `admission` or `quota`; `quota` outlives every stream.
// `relay` (several replicas, else null): a Reply for a push another replica holds
// is encoded here and handed to that replica.
std::unique_ptr<AdmittedService> ServeEvents(EventHub& hub, ReplyBroker& broker,
                                             RedisReplyRelay* relay, const CallAdmission& admission,
                                             SubscriptionQuota& quota);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_EVENT_SERVICE_H_
