#include "service/transcode/wechat_json.h"

#include <gtest/gtest.h>

#include "transcode_sample.pb.h"

namespace wxgate {
namespace {

using nlohmann::json;
using testing::v1::Sample;

TEST(WeChatJsonTest, WritesOnlySetFieldsWithWeChatKeys) {
  Sample sample;
  sample.set_openid("o1");
  sample.set_camel("c");
  EXPECT_EQ(MessageToWeChatJson(sample), json({{"openid", "o1"}, {"camelKey", "c"}}));
}

TEST(WeChatJsonTest, SixtyFourBitIntegersAreJsonNumbers) {
  Sample sample;
  sample.set_msg_id(9223372036854775807LL);
  sample.set_big(18446744073709551615ULL);
  std::string text = MessageToWeChatJson(sample).dump();
  EXPECT_EQ(text, R"({"big":18446744073709551615,"msg_id":9223372036854775807})");
}

TEST(WeChatJsonTest, EnumsWithWireNamesAreStringsOthersNumbers) {
  Sample sample;
  sample.set_color(testing::v1::COLOR_BLUE);
  sample.set_level(testing::v1::LEVEL_TWO);
  EXPECT_EQ(MessageToWeChatJson(sample), json({{"color", "blue"}, {"level", 2}}));
}

TEST(WeChatJsonTest, ExplicitPresenceWritesFalse) {
  Sample sample;
  sample.set_explicit_flag(false);
  sample.set_flag(false);
  EXPECT_EQ(MessageToWeChatJson(sample), json({{"explicit_flag", false}}));
}

TEST(WeChatJsonTest, NestedRepeatedAndMaps) {
  Sample sample;
  sample.mutable_inner()->set_name("n");
  sample.add_items()->add_ids(7);
  (*sample.mutable_labels())["k"] = "v";
  EXPECT_EQ(MessageToWeChatJson(sample), json({{"inner", {{"name", "n"}}},
                                               {"items", json::array({{{"ids", {7}}}})},
                                               {"labels", {{"k", "v"}}}}));
}

TEST(WeChatJsonTest, RoundTrip) {
  Sample sample;
  sample.set_openid("o");
  sample.set_count(-5);
  sample.set_msg_id(1234567890123456789LL);
  sample.set_color(testing::v1::COLOR_RED);
  sample.set_score(1.5);
  sample.set_blob(std::string("\x00\x01", 2));
  sample.add_tags("a");
  sample.add_items()->set_name("x");
  (*sample.mutable_labels())["k"] = "v";
  Sample parsed;
  ASSERT_TRUE(MergeWeChatJson(MessageToWeChatJson(sample), &parsed).ok());
  EXPECT_EQ(parsed.SerializeAsString(), sample.SerializeAsString());
}

TEST(WeChatJsonTest, ReadingIsLenientWhereWeChatIsInconsistent) {
  Sample sample;
  json answer = {{"count", "12"},         {"msg_id", "9007199254740993"},
                 {"openid", 42},          {"flag", 1},
                 {"color", "blue"},       {"level", "LEVEL_ONE"},
                 {"unknown_key", {1, 2}}, {"inner", nullptr},
                 {"score", "2.5"}};
  ASSERT_TRUE(MergeWeChatJson(answer, &sample).ok());
  EXPECT_EQ(sample.count(), 12);
  EXPECT_EQ(sample.msg_id(), 9007199254740993LL);
  EXPECT_EQ(sample.openid(), "42");
  EXPECT_TRUE(sample.flag());
  EXPECT_EQ(sample.color(), testing::v1::COLOR_BLUE);
  EXPECT_EQ(sample.level(), testing::v1::LEVEL_ONE);
  EXPECT_FALSE(sample.has_inner());
  EXPECT_DOUBLE_EQ(sample.score(), 2.5);
}

TEST(WeChatJsonTest, UnknownEnumStringsReadAsUnspecified) {
  Sample sample;
  sample.set_color(testing::v1::COLOR_RED);
  ASSERT_TRUE(MergeWeChatJson(json({{"color", "green"}}), &sample).ok());
  EXPECT_EQ(sample.color(), testing::v1::COLOR_UNSPECIFIED);
}

TEST(WeChatJsonTest, WrongShapesNameTheirPath) {
  Sample sample;
  absl::Status status = MergeWeChatJson(json({{"items", {{{"ids", {1, "x"}}}}}}), &sample);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "items[0].ids[1]: expected an integer in range, got string");

  EXPECT_EQ(MergeWeChatJson(json({{"count", 1.5}}), &sample).message(),
            "count: expected an integer in range, got number");
  EXPECT_EQ(MergeWeChatJson(json({{"count", 4294967296LL}}), &sample).message(),
            "count: expected an integer in range, got number");
  EXPECT_EQ(MergeWeChatJson(json({{"small", -1}}), &sample).message(),
            "small: expected an integer in range, got number");
  EXPECT_EQ(MergeWeChatJson(json({{"inner", "x"}}), &sample).message(),
            "inner: expected an object, got string");
  EXPECT_EQ(MergeWeChatJson(json({{"tags", "x"}}), &sample).message(),
            "tags: expected an array, got string");
  EXPECT_EQ(MergeWeChatJson(json({{"color", true}}), &sample).message(),
            "color: expected a Color, got boolean");
  EXPECT_EQ(MergeWeChatJson(json({{"flag", "yes"}}), &sample).message(),
            "flag: expected true or false, got string");
  EXPECT_FALSE(MergeWeChatJson(json::array(), &sample).ok());
}

TEST(WeChatJsonTest, JsonArrayMessagesAreBareArrays) {
  const json answer = json::parse(R"({"result":[[{"name":"a"},{"name":"b"}],[{"name":"c"}]]})");
  testing::v1::Levels levels;
  ASSERT_TRUE(MergeWeChatJson(answer, &levels).ok());
  ASSERT_EQ(levels.result_size(), 2);
  EXPECT_EQ(levels.result(0).items_size(), 2);
  EXPECT_EQ(levels.result(1).items(0).name(), "c");
  EXPECT_EQ(MessageToWeChatJson(levels), answer);

  absl::Status wrong = MergeWeChatJson(json::parse(R"({"result":[{"name":"a"}]})"), &levels);
  EXPECT_EQ(wrong.message(), "result[0]: expected an array, got object");
}

}  // namespace
}  // namespace wxgate
