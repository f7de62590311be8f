#include "tests/fake_wechat/endpoint_table.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wxgate::fake {
namespace {

using ::testing::HasSubstr;

std::string ParseError(const std::string& text) {
  auto parsed = EndpointTable::ParseFile("t.json", text);
  return parsed.ok() ? "ok" : std::string(parsed.status().message());
}

TEST(FakeWeChatEndpointTableTest, ParsesAnEntryWithDefaults) {
  auto parsed = EndpointTable::ParseFile(
      "t.json", R"([{"method":"POST","path":"/x","credential":"access_token","answer":{"a":1}}])");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  const Endpoint& endpoint = (*parsed)[0];
  EXPECT_EQ(endpoint.method, "POST");
  EXPECT_TRUE(endpoint.needs_access_token);
  EXPECT_EQ(endpoint.body, Endpoint::Body::kJson);
  EXPECT_EQ(endpoint.missing_errcode, 47001);
  EXPECT_FALSE(endpoint.with_errcode);
  EXPECT_EQ(endpoint.answer["a"], 1);
}

TEST(FakeWeChatEndpointTableTest, ErrorsNameTheFileTheEntryAndTheProblem) {
  EXPECT_EQ(ParseError("[{"), "t.json: not valid JSON");
  EXPECT_EQ(ParseError("{}"), "t.json: must be a JSON array of entries");
  const std::string ok = R"({"method":"GET","path":"/a","credential":"none","answer":{}})";
  EXPECT_EQ(ParseError("[" + ok + ", 3]"), "t.json: entry 1: must be a JSON object");
  EXPECT_THAT(ParseError(R"([{"method":"PUT","path":"/a","credential":"none","answer":{}}])"),
              HasSubstr("entry 0: 'method'"));
  EXPECT_THAT(ParseError(R"([{"method":"GET","path":"a","credential":"none","answer":{}}])"),
              HasSubstr("entry 0: 'path'"));
  EXPECT_THAT(ParseError(R"([{"method":"GET","path":"/a","credential":"x","answer":{}}])"),
              HasSubstr("entry 0: 'credential'"));
  EXPECT_THAT(ParseError(R"([{"method":"GET","path":"/a","credential":"none"}])"),
              HasSubstr("'answer' is missing"));
  EXPECT_THAT(
      ParseError(R"([{"method":"GET","path":"/a","credential":"none","answer":{},"requird":[]}])"),
      HasSubstr("unknown key 'requird'"));
  EXPECT_THAT(
      ParseError(
          R"([{"method":"GET","path":"/a","credential":"none","answer":{},"required":"x"}])"),
      HasSubstr("'required' must be an array"));
  EXPECT_THAT(ParseError(R"([{"method":"GET","path":"/a","credential":"none","answer":"x"}])"),
              HasSubstr("'answer' must be a JSON object"));
  EXPECT_THAT(
      ParseError(
          R"([{"method":"POST","path":"/a","credential":"none","answer":{},"body":"multipart","required":["x"]}])"),
      HasSubstr("use 'required_query' or 'required_parts'"));
  EXPECT_THAT(
      ParseError(R"([{"method":"POST","path":"/a","credential":"none","answer":{},"body":"any"}])"),
      HasSubstr("must be \"json\", \"multipart\", \"text\" or \"none\""));
  EXPECT_THAT(
      ParseError(
          R"([{"method":"POST","path":"/a","credential":"none","answer":{},"required_parts":["m"]}])"),
      HasSubstr("'required_parts' needs \"body\": \"multipart\""));
}

TEST(FakeWeChatEndpointTableTest, DuplicatePathsAcrossFilesAreRejected) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "fake_wechat_duplicate_paths";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string entry = R"([{"method":"GET","path":"/a","credential":"none","answer":{}}])";
  std::ofstream(dir / "1.json") << entry;
  std::ofstream(dir / "2.json") << entry;
  std::ofstream(dir / "notes.txt") << "ignored";
  auto table = EndpointTable::LoadDir(dir.string());
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(std::string(table.status().message()),
              HasSubstr("2.json: entry 0: path /a is already in"));
  std::filesystem::remove_all(dir);
}

TEST(FakeWeChatEndpointTableTest, LoadsTheCheckedInTables) {
  auto table = EndpointTable::LoadDir(FAKE_WECHAT_ENDPOINTS_DIR);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_NE(table->Find("/fake/selftest/user_info"), nullptr);
  EXPECT_EQ(table->Find("/fake/selftest/user_info")->required, std::vector<std::string>{"openid"});
  EXPECT_EQ(table->Find("/nope"), nullptr);
  EXPECT_FALSE(EndpointTable::LoadDir("/nonexistent/dir").ok());
  EXPECT_EQ(EndpointTable::LoadDir("")->size(), 0u);
}

}  // namespace
}  // namespace wxgate::fake
