#include "service/observe/log_line.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace wxgate {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1795428000123);  // 2026-11-23T10:00:00.123Z

TEST(LogLineTest, TextLineIsUnchanged) {
  EXPECT_EQ(TextLine(kTime, LogLevel::kInfo, "token_fetched",
                     {{"appid", "wx1"}, {"kind", "access token"}, {"empty", ""}}),
            "2026-11-23T10:00:00.123Z INFO token_fetched appid=wx1 kind=\"access token\" "
            "empty=\"\"");
  EXPECT_EQ(TextLine(kTime, LogLevel::kDebug, "call", {}), "2026-11-23T10:00:00.123Z DEBUG call");
}

TEST(LogLineTest, JsonLineHasTimeLevelEventThenTheFieldsInOrder) {
  EXPECT_EQ(JsonLine(kTime, LogLevel::kWarning, "call_refused", {{"method", "a.B/C"}, {"x", ""}}),
            R"({"time":"2026-11-23T10:00:00.123Z","level":"WARN","event":"call_refused",)"
            R"("method":"a.B/C","x":""})");
}

// What a JSON parser reads back from one value.
std::string RoundTrip(absl::string_view value) {
  const std::string line = JsonLine(kTime, LogLevel::kError, "e", {{"v", value}});
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  return nlohmann::json::parse(line).at("v").get<std::string>();
}

TEST(LogLineTest, JsonValuesRoundTrip) {
  for (absl::string_view value :
       {absl::string_view("plain"), absl::string_view("quote \" and backslash \\ and /"),
        absl::string_view("new\nline\r\ttab\b\f"), absl::string_view("\x01\x1f\x7f", 3),
        absl::string_view("nul \0 inside", 12), absl::string_view("中文 é 😀"),
        absl::string_view("{\"forged\":\"field\"}")}) {
    EXPECT_EQ(RoundTrip(value), value);
  }
}

TEST(LogLineTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(RoundTrip("a\xFF"
                      "b"),
            "a" + kReplacement + "b");
  EXPECT_EQ(RoundTrip("\xC3"), kReplacement);                                        // cut short
  EXPECT_EQ(RoundTrip("\xC0\xAF"), kReplacement + kReplacement);                     // overlong
  EXPECT_EQ(RoundTrip("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
  EXPECT_EQ(RoundTrip("\xF4\x90\x80\x80"),  // past U+10FFFF
            kReplacement + kReplacement + kReplacement + kReplacement);
}

TEST(LogLineTest, ControlCharactersAreEscapedNotWritten) {
  std::string out;
  AppendJsonString(&out, absl::string_view("\x1b[31m\x7f", 6));
  EXPECT_EQ(out, R"("\u001b[31m\u007f")");
}

}  // namespace
}  // namespace wxgate
