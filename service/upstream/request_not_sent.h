// Whether a failed transfer certainly never reached the server: the one fact that
// makes sending a write again (to another domain) safe.
//
//   absl::Status failed = CurlFailure(CURLE_COULDNT_CONNECT, …);
//   if (!request_started && FailsBeforeSending(CURLE_COULDNT_CONNECT))
//     failed = MarkedNotSent(std::move(failed));
//   WasNotSent(failed)   // true: no byte of the request left the gateway
//
// The mark is a status payload of its own; it is never shown to callers.
#ifndef WXGATE_SERVICE_UPSTREAM_REQUEST_NOT_SENT_H_
#define WXGATE_SERVICE_UPSTREAM_REQUEST_NOT_SENT_H_

#include <curl/curl.h>

#include "absl/status/status.h"

namespace wxgate {

// curl errors that end a transfer before a connection exists: the host could not be
// resolved, refused the connection, or did not connect (TCP and TLS) in time. Only
// with the transfer's request never started (no CURLOPT_PREREQFUNCTION call) do
// they prove nothing was sent: a reused connection may fail after sending.
bool FailsBeforeSending(CURLcode code);

absl::Status MarkedNotSent(absl::Status status);
bool WasNotSent(const absl::Status& status);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_REQUEST_NOT_SENT_H_
