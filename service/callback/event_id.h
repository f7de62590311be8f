// Ids for the events the gateway publishes: 32 hex digits, a random prefix drawn
// once per process and a counter, so that ids never repeat within a process and
// two processes (replicas, restarts) draw different prefixes. Cheap enough for every
// push: no random draw per id.
//
//   NewEventId()  -> "9f3c01a2b4d5e6f70000000000000001"
//   NewEventId()  -> "9f3c01a2b4d5e6f70000000000000002"
//
// Thread-safe.
#ifndef WXGATE_SERVICE_CALLBACK_EVENT_ID_H_
#define WXGATE_SERVICE_CALLBACK_EVENT_ID_H_

#include <string>

namespace wxgate {

std::string NewEventId();

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_EVENT_ID_H_
