// The checks of WeChat's HTTP answers: status, JSON, errcode, file or JSON.
#include "service/upstream/upstream_answer.h"

#include <gtest/gtest.h>

#include "service/errors/error_info.h"

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

TEST(UpstreamAnswerTest, SuccessWithAndWithoutErrcodeZero) {
  absl::StatusOr<nlohmann::json> json = ParseAnswerJson(Answer(200, R"({"openid":"o"})"));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["openid"], "o");
  EXPECT_TRUE(ParseAnswerJson(Answer(200, R"({"errcode":0,"errmsg":"ok"})")).ok());
}

TEST(UpstreamAnswerTest, ErrcodeBecomesWeChatError) {
  absl::StatusOr<nlohmann::json> json =
      ParseAnswerJson(Answer(200, R"({"errcode":40003,"errmsg":"invalid openid rid: r1"})"));
  EXPECT_EQ(json.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ReasonOf(json.status()), "WECHAT_40003");
}

// Found by answer_fuzzer: a non-string errmsg used to throw out of the parser.
TEST(UpstreamAnswerTest, AnErrmsgOfAnyTypeIsReadNotThrown) {
  for (const char* body :
       {R"({"errcode": 1, "errmsg": 163731754})", R"({"errcode": 1, "errmsg": null})",
        R"({"errcode": 1, "errmsg": ["a"]})", R"({"errcode": 1})"}) {
    absl::StatusOr<nlohmann::json> json = ParseAnswerJson(Answer(200, body));
    EXPECT_FALSE(json.ok()) << body;
    EXPECT_EQ(ReasonOf(json.status()), "WECHAT_1") << body;
  }
}

TEST(UpstreamAnswerTest, HttpStatusOtherThan200) {
  absl::Status unavailable = ParseAnswerJson(Answer(502, "bad gateway", "text/html")).status();
  EXPECT_EQ(unavailable.code(), Code::kUnavailable);
  EXPECT_EQ(ReasonOf(unavailable), "UPSTREAM_HTTP_STATUS");
  EXPECT_EQ(ErrorInfoOf(unavailable)->metadata().at("http_status"), "502");
  EXPECT_EQ(ParseAnswerJson(Answer(404, "")).status().code(), Code::kInternal);
}

TEST(UpstreamAnswerTest, NotJsonOrNotAnObject) {
  for (const char* body : {"<html>busy</html>", "", "[1,2]", "{\"a\":", "\"text\""}) {
    absl::Status status = ParseAnswerJson(Answer(200, body, "text/html")).status();
    EXPECT_EQ(status.code(), Code::kInternal) << body;
    EXPECT_EQ(ReasonOf(status), "UPSTREAM_NOT_JSON") << body;
  }
}

TEST(UpstreamAnswerTest, DownloadsTellFilesFromJson) {
  HttpResponse jpeg = Answer(200, "\xff\xd8 jpeg", "image/jpeg");
  jpeg.content_disposition = R"(attachment; filename="MEDIA_ID.jpg")";
  for (AnswerKind kind : {ANSWER_KIND_BINARY, ANSWER_KIND_JSON_OR_BINARY}) {
    absl::StatusOr<CheckedAnswer> file = CheckAnswer(jpeg, kind);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(file->file.has_value());
    EXPECT_EQ(file->file->body, "\xff\xd8 jpeg");
    EXPECT_EQ(FileNameOf(file->file->content_disposition), "MEDIA_ID.jpg");

    // WeChat's errors come as JSON, labelled JSON or text/plain.
    for (const char* type : {"application/json; encoding=utf-8", "text/plain"}) {
      absl::Status error =
          CheckAnswer(Answer(200, R"({"errcode":40007,"errmsg":"invalid media_id"})", type), kind)
              .status();
      EXPECT_EQ(ReasonOf(error), "WECHAT_40007") << type;
    }
    // A text file that merely looks like JSON is still a file when not labelled so.
    absl::StatusOr<CheckedAnswer> csv = CheckAnswer(Answer(200, "{}", "text/csv"), kind);
    ASSERT_TRUE(csv.ok());
    EXPECT_TRUE(csv->file.has_value());
    // HTTP errors are errors whatever the body.
    EXPECT_EQ(CheckAnswer(Answer(502, "bad", "image/jpeg"), kind).status().code(),
              Code::kUnavailable);
  }
  absl::StatusOr<CheckedAnswer> video =
      CheckAnswer(Answer(200, R"({"video_url":"http://v"})"), ANSWER_KIND_JSON_OR_BINARY);
  ASSERT_TRUE(video.ok());
  EXPECT_FALSE(video->file.has_value());
  EXPECT_EQ(video->json["video_url"], "http://v");
  EXPECT_EQ(
      ReasonOf(
          CheckAnswer(Answer(200, R"({"video_url":"http://v"})"), ANSWER_KIND_BINARY).status()),
      "UPSTREAM_NOT_FILE");
}

TEST(UpstreamAnswerTest, JsonKindIgnoresContentTypeAsBefore) {
  absl::StatusOr<CheckedAnswer> json =
      CheckAnswer(Answer(200, R"({"a":1})", "image/jpeg"), ANSWER_KIND_JSON);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->json["a"], 1);
  EXPECT_EQ(ReasonOf(CheckAnswer(Answer(200, "bytes", "image/jpeg"), ANSWER_KIND_JSON).status()),
            "UPSTREAM_NOT_JSON");
}

TEST(UpstreamAnswerTest, FileNameOfContentDisposition) {
  EXPECT_EQ(FileNameOf(R"(attachment; filename="a b.jpg")"), "a b.jpg");
  EXPECT_EQ(FileNameOf("attachment; filename=plain.amr"), "plain.amr");
  EXPECT_EQ(FileNameOf("inline"), "");
  EXPECT_EQ(FileNameOf(""), "");
}

}  // namespace
}  // namespace wxgate
