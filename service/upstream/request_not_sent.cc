#include "service/upstream/request_not_sent.h"

#include "absl/strings/string_view.h"

namespace wxgate {
namespace {
constexpr absl::string_view kNotSentUrl = "wxgate.dev/upstream-request-not-sent";
}  // namespace

bool FailsBeforeSending(CURLcode code) {
  return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT ||
         code == CURLE_OPERATION_TIMEDOUT;
}

absl::Status MarkedNotSent(absl::Status status) {
  if (!status.ok()) status.SetPayload(kNotSentUrl, absl::Cord("1"));
  return status;
}

bool WasNotSent(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kNotSentUrl).has_value();
}

}  // namespace wxgate
