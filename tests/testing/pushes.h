// Test helpers for callback pushes: a text push WeChat would send, and the sample
// files under tests/fake_wechat/ (pushes/, replies/).
//
//   TextPush("hello", 42)  -> <xml>...<MsgType>text</MsgType><Content>hello</Content><MsgId>42...
//   ReadTextFile(path)     -> the file's contents ("" if unreadable)
#ifndef WXGATE_TESTS_TESTING_PUSHES_H_
#define WXGATE_TESTS_TESTING_PUSHES_H_

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace wxgate::testing {

// From user "oUser" to account "gh_1"; msg_id tells pushes apart for deduplication.
inline std::string TextPush(const std::string& content, int64_t msg_id) {
  return absl::StrCat(
      "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]>"
      "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
      "<Content><![CDATA[",
      content, "]]></Content><MsgId>", msg_id, "</MsgId></xml>");
}

inline std::string ReadTextFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_PUSHES_H_
