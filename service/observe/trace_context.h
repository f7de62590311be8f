// TraceContext: the W3C Trace Context (level 1) `traceparent` of a gRPC call or a
// WeChat push, so that its log lines, and the subscribers that receive the push,
// share one trace id:
//
//   ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
//     -> {trace_id "4bf9…4736", span_id "00f0…02b7", flags "01"}
//   ParseTraceparent("01-…"), uppercase hex, an all-zero id, a wrong length -> nullopt
//   ContinueTrace(parsed) -> the same trace id and flags, a new span id (the gateway's)
//   ContinueTrace(nullopt) -> a new random trace id and span id, flags "01"
//
// Only version 00 is read; anything else is ignored and a new trace started, as the
// spec allows. Traces the gateway starts are marked sampled (01): its log lines
// record them. See https://www.w3.org/TR/trace-context/.
#ifndef WXGATE_SERVICE_OBSERVE_TRACE_CONTEXT_H_
#define WXGATE_SERVICE_OBSERVE_TRACE_CONTEXT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace wxgate {

struct TraceContext {
  std::string trace_id;  // 32 lowercase hex digits, not all zero
  std::string span_id;   // 16 lowercase hex digits, not all zero
  std::string flags;     // 2 lowercase hex digits

  // "00-<trace_id>-<span_id>-<flags>".
  std::string Traceparent() const;
};

// The header or metadata key, as W3C spells it.
inline constexpr absl::string_view kTraceparentKey = "traceparent";

std::optional<TraceContext> ParseTraceparent(absl::string_view value);

// The gateway's span of `parent`'s trace, or the first span of a new trace.
TraceContext ContinueTrace(const std::optional<TraceContext>& parent);

// ContinueTrace(ParseTraceparent(value)): what the gateway does with a header.
inline TraceContext ContinueTrace(absl::string_view traceparent) {
  return ContinueTrace(ParseTraceparent(traceparent));
}

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_TRACE_CONTEXT_H_
