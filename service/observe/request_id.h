// Request ids: the `x-request-id` that names one gRPC call or one callback request
// in the logs and in the answer, so that a caller can quote it.
//
//   NewRequestId()                     -> "18a2b3c4d5e6f-42": unique in this process
//   UsableRequestId("a1b2-c3")         -> true: a caller's id is kept
//   UsableRequestId("x y"), 200 chars  -> false: a new one is made instead
#ifndef WXGATE_SERVICE_OBSERVE_REQUEST_ID_H_
#define WXGATE_SERVICE_OBSERVE_REQUEST_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace wxgate {

// The metadata key and HTTP header.
inline constexpr absl::string_view kRequestIdKey = "x-request-id";

// The process's start time in microseconds (hex) and a counter.
std::string NewRequestId();

// Whether a caller's id may be logged and echoed: 1 to 128 printable ASCII
// characters without spaces, so that it cannot forge or break a line.
bool UsableRequestId(absl::string_view id);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_REQUEST_ID_H_
