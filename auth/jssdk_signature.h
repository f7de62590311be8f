// The JS-SDK's wx.config signature, as WeChat's JS-SDK document defines it:
//
//   JsSdkSignature("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
//                  "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value")
//     ==
//     sha1("jsapi_ticket=…&noncestr=Wm3WZYTPz0wzccnW&timestamp=1414587457&url=http://mp.weixin.qq.com?params=value")
//     == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
//
// The URL is the page's, without its '#' fragment and not escaped; the nonce_str
// comes from NewNonce() (auth/nonce.h, included for the callers that sign).
//
// A pure function: thread-safe, nothing kept.
#ifndef WXGATE_AUTH_JSSDK_SIGNATURE_H_
#define WXGATE_AUTH_JSSDK_SIGNATURE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "auth/nonce.h"

namespace wxgate {

std::string JsSdkSignature(absl::string_view jsapi_ticket, absl::string_view nonce_str,
                           int64_t timestamp, absl::string_view url);

}  // namespace wxgate

#endif  // WXGATE_AUTH_JSSDK_SIGNATURE_H_
