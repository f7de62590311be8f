#include "service/observe/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"

namespace wxgate {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = SetLogSink([this](const std::string& line) { lines_.push_back(line); });
  }
  void TearDown() override {
    SetLogSink(std::move(previous_));
    SetLogLevel(LogLevel::kInfo);
    SetLogFormat(LogFormat::kText);
  }

  std::vector<std::string> lines_;
  LogSink previous_;
};

TEST_F(LogTest, InfoIsTheDefaultLevel) {
  EXPECT_FALSE(LogEnabled(LogLevel::kDebug));
  EXPECT_TRUE(LogEnabled(LogLevel::kInfo));
  Log(LogLevel::kDebug, "hidden");
  Log(LogLevel::kInfo, "shown", {{"k", "v"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_TRUE(absl::EndsWith(lines_[0], " INFO shown k=v")) << lines_[0];
}

TEST_F(LogTest, TheLevelDropsLinesBelowIt) {
  SetLogLevel(LogLevel::kWarning);
  Log(LogLevel::kInfo, "info");
  Log(LogLevel::kWarning, "warn");
  Log(LogLevel::kError, "error");
  SetLogLevel(LogLevel::kDebug);
  Log(LogLevel::kDebug, "debug");
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_TRUE(absl::StrContains(lines_[0], "WARN warn"));
  EXPECT_TRUE(absl::StrContains(lines_[1], "ERROR error"));
  EXPECT_TRUE(absl::StrContains(lines_[2], "DEBUG debug"));
}

TEST_F(LogTest, JsonFormatWritesOneObjectPerLine) {
  SetLogFormat(LogFormat::kJson);
  Log(LogLevel::kInfo, "call", {{"method", "a.B/C"}, {"code", "OK"}});
  ASSERT_EQ(lines_.size(), 1u);
  const nlohmann::json line = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(line.at("level"), "INFO");
  EXPECT_EQ(line.at("event"), "call");
  EXPECT_EQ(line.at("method"), "a.B/C");
  EXPECT_EQ(line.at("code"), "OK");
  EXPECT_TRUE(line.contains("time"));
}

}  // namespace
}  // namespace wxgate
