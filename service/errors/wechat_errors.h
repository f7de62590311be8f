// WeChat's errcode → gRPC status, by one table.
//
//   WeChatError(40003, "invalid openid rid: 6571-abc")
//     → INVALID_ARGUMENT "WeChat errcode 40003: invalid openid. Check ...",
//       ErrorInfo{reason: "WECHAT_40003", domain: "api.weixin.qq.com",
//                 metadata: {errcode: "40003", errmsg: "invalid openid", rid: "6571-abc"}}
//
// Codes WeChat documents individually are listed; others fall back to the range
// their first digits name (41xxx missing parameter, 45xxx limits, 46xxx not found, …).
// The README's error table is this table.
#ifndef WXGATE_SERVICE_ERRORS_WECHAT_ERRORS_H_
#define WXGATE_SERVICE_ERRORS_WECHAT_ERRORS_H_

#include <optional>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wxgate {

struct WeChatErrorRule {
  int errcode;
  absl::StatusCode code;
  absl::string_view advice;  // What the caller or operator should do.
};

struct WeChatErrorRange {
  int first, last;
  absl::StatusCode code;
  absl::string_view meaning;
};

std::span<const WeChatErrorRule> WeChatErrorRules();
std::span<const WeChatErrorRange> WeChatErrorRanges();

// The gRPC code for an errcode (UNKNOWN when neither table nor range knows it).
absl::StatusCode StatusCodeForErrcode(int errcode);

// The status for a non-zero errcode. errmsg is WeChat's, with its "rid: …"
// suffix moved into the metadata.
absl::Status WeChatError(int errcode, absl::string_view errmsg);

// errcodes that mean "the access token you sent is not (or no longer) valid".
bool IsStaleTokenErrcode(int errcode);

// The WeChat errcode a status carries (from WeChatError), if any.
std::optional<int> WeChatErrcodeOf(const absl::Status& status);

// Whether WeChat said the token sent with the call is stale.
bool IsStaleTokenError(const absl::Status& status);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_ERRORS_WECHAT_ERRORS_H_
