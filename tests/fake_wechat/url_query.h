// Splits a request target into its path and decoded query parameters:
//
//   ParseTarget("/cgi-bin/user/info?openid=o%2B1&lang=zh_CN")
//     -> {path: "/cgi-bin/user/info", query: {"lang": "zh_CN", "openid": "o+1"}}
//
// Decoding is application/x-www-form-urlencoded ('+' is a space); a malformed
// escape is kept as is rather than rejected, since the fake must show what was sent.
#ifndef WXGATE_TESTS_FAKE_WECHAT_URL_QUERY_H_
#define WXGATE_TESTS_FAKE_WECHAT_URL_QUERY_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace wxgate::fake {

struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

Target ParseTarget(absl::string_view target);

std::string FormDecode(absl::string_view text);

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_URL_QUERY_H_
