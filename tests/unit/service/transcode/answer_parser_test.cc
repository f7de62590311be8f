#include "service/transcode/answer_parser.h"

#include <gtest/gtest.h>

#include "service/errors/error_info.h"
#include "transcode_sample.pb.h"

namespace wxgate {
namespace {

using Code = absl::StatusCode;

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "";
}

TEST(AnswerParserTest, ReadsTheAnswerIntoTheResponse) {
  testing::v1::Sample sample;
  ASSERT_TRUE(ReadAnswer(nlohmann::json{{"openid", "o"}}, &sample).ok());
  EXPECT_EQ(sample.openid(), "o");
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
