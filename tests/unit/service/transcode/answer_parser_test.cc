#include "service/transcode/answer_parser.h"

#include <gtest/gtest.h>

#include "service/errors/error_info.h"
#include "transcode_sample.pb.h"

namespace wxgate {
namespace {

using Code = absl::StatusCode;

HttpResponse Answer(long status, std::string body, std::string type = "application/json") {
  return {.status = status, .content_type = std::move(type), .body = std::move(body)};
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "";
}

TEST(AnswerParserTest, SuccessWithAndWithoutErrcodeZero) {
  absl::StatusOr<nlohmann::json> json = ParseAnswerJson(Answer(200, R"({"openid":"o"})"));
  ASSERT_TRUE(json.ok());
  testing::v1::Sample sample;
  ASSERT_TRUE(ReadAnswer(*json, &sample).ok());
  EXPECT_EQ(sample.openid(), "o");
  EXPECT_TRUE(ParseAnswerJson(Answer(200, R"({"errcode":0,"errmsg":"ok"})")).ok());
}

TEST(AnswerParserTest, ErrcodeBecomesWeChatError) {
  absl::StatusOr<nlohmann::json> json =
      ParseAnswerJson(Answer(200, R"({"errcode":40003,"errmsg":"invalid openid rid: r1"})"));
  EXPECT_EQ(json.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ReasonOf(json.status()), "WECHAT_40003");
}

// Found by answer_fuzzer: a non-string errmsg used to throw out of the parser.
TEST(AnswerParserTest, AnErrmsgOfAnyTypeIsReadNotThrown) {
  for (const char* body :
       {R"({"errcode": 1, "errmsg": 163731754})", R"({"errcode": 1, "errmsg": null})",
        R"({"errcode": 1, "errmsg": ["a"]})", R"({"errcode": 1})"}) {
    absl::StatusOr<nlohmann::json> json = ParseAnswerJson(Answer(200, body));
    EXPECT_FALSE(json.ok()) << body;
    EXPECT_EQ(ReasonOf(json.status()), "WECHAT_1") << body;
  }
}

TEST(AnswerParserTest, HttpStatusOtherThan200) {
  absl::Status unavailable = ParseAnswerJson(Answer(502, "bad gateway", "text/html")).status();
  EXPECT_EQ(unavailable.code(), Code::kUnavailable);
  EXPECT_EQ(ReasonOf(unavailable), "UPSTREAM_HTTP_STATUS");
  EXPECT_EQ(ErrorInfoOf(unavailable)->metadata().at("http_status"), "502");
  EXPECT_EQ(ParseAnswerJson(Answer(404, "")).status().code(), Code::kInternal);
}

TEST(AnswerParserTest, NotJsonOrNotAnObject) {
  for (const char* body : {"<html>busy</html>", "", "[1,2]", "{\"a\":", "\"text\""}) {
    absl::Status status = ParseAnswerJson(Answer(200, body, "text/html")).status();
    EXPECT_EQ(status.code(), Code::kInternal) << body;
    EXPECT_EQ(ReasonOf(status), "UPSTREAM_NOT_JSON") << body;
  }
}

TEST(AnswerParserTest, SchemaMismatchNamesTheField) {
  testing::v1::Sample sample;
  absl::Status status = ReadAnswer(nlohmann::json{{"count", "many"}}, &sample);
  EXPECT_EQ(status.code(), Code::kInternal);
  EXPECT_EQ(ReasonOf(status), "UPSTREAM_SCHEMA");
  EXPECT_NE(status.message().find("count: expected an integer"), std::string::npos) << status;
}

}  // namespace
}  // namespace wxgate
