// Builders for the answers api.weixin.qq.com gives: JSON with the WeChat content type,
// errors as HTTP 200 {"errcode":N,"errmsg":"..."}, and plain text for HTTP-level errors.
#ifndef WXGATE_TESTS_FAKE_WECHAT_WECHAT_REPLY_H_
#define WXGATE_TESTS_FAKE_WECHAT_WECHAT_REPLY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "tests/fake_wechat/http_message.h"

namespace wxgate::fake {

// Serializes without throwing: invalid UTF-8 (e.g. a decoded query) becomes U+FFFD.
std::string DumpJson(const nlohmann::json& value);

HttpReply JsonReply(const nlohmann::json& body, int status = 200);
HttpReply ErrcodeReply(int errcode, absl::string_view errmsg);
HttpReply TextReply(int status, std::string body);

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_WECHAT_REPLY_H_
