#include "service/transcode/wechat_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

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

// Whether `value` reads into `field` of a Sample, and what the field then holds.
std::optional<std::string> ReadField(const std::string& field, const json& value) {
  Sample sample;
  if (!MergeWeChatJson(json::object({{field, value}}), &sample).ok()) return std::nullopt;
  const auto* descriptor = Sample::descriptor()->FindFieldByName(field);
  const auto& r = *sample.GetReflection();
  switch (descriptor->cpp_type()) {
    case google::protobuf::FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(r.GetInt32(sample, descriptor));
    case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(r.GetInt64(sample, descriptor));
    case google::protobuf::FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(r.GetUInt32(sample, descriptor));
    case google::protobuf::FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(r.GetUInt64(sample, descriptor));
    default:
      return std::to_string(r.GetEnumValue(sample, descriptor));
  }
}

// Found by answer_fuzzer: a huge number was cast before its range was checked.
TEST(WeChatJsonTest, IntegersAreReadOnlyWhenTheyFitExactly) {
  const double two63 = 9223372036854775808.0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const char* field : {"count", "msg_id", "small", "big"}) {
    SCOPED_TRACE(field);
    for (const json& bad : {json(nan), json(inf), json(-inf), json(1e300), json(-1e300),
                            json(two63 * 2), json(0.5), json("1.0"), json("x")}) {
      EXPECT_EQ(ReadField(field, bad), std::nullopt) << bad.dump();
    }
    EXPECT_EQ(ReadField(field, json(-0.0)), "0");
    EXPECT_EQ(ReadField(field, json(1)), "1");
  }
  // 2^63 fits only the unsigned 64-bit field, as a number and as a string.
  for (const json& two63_forms :
       {json(two63), json(9223372036854775808ULL), json("9223372036854775808")}) {
    EXPECT_EQ(ReadField("msg_id", two63_forms), std::nullopt) << two63_forms.dump();
    EXPECT_EQ(ReadField("big", two63_forms), "9223372036854775808") << two63_forms.dump();
    EXPECT_EQ(ReadField("count", two63_forms), std::nullopt);
  }
  // -2^63 is int64's least value; nothing unsigned takes a negative number.
  EXPECT_EQ(ReadField("msg_id", json(-two63)), "-9223372036854775808");
  EXPECT_EQ(ReadField("msg_id", json(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(ReadField("big", json(-1)), std::nullopt);
  EXPECT_EQ(ReadField("small", json(-1.0)), std::nullopt);
  // 2^53 + 1 is exact as a JSON integer; as a double it is already 2^53.
  EXPECT_EQ(ReadField("msg_id", json(9007199254740993LL)), "9007199254740993");
  EXPECT_EQ(ReadField("msg_id", json(-9007199254740993LL)), "-9007199254740993");
  EXPECT_EQ(ReadField("msg_id", json(9007199254740993.0)), "9007199254740992");
  // 32-bit bounds.
  EXPECT_EQ(ReadField("count", json(2147483647)), "2147483647");
  EXPECT_EQ(ReadField("count", json(2147483648.0)), std::nullopt);
  EXPECT_EQ(ReadField("count", json(-2147483648.0)), "-2147483648");
  EXPECT_EQ(ReadField("small", json(4294967295.0)), "4294967295");
  EXPECT_EQ(ReadField("small", json(4294967296LL)), std::nullopt);
  // An enum takes a number in int32 range or a name (unknown names read as 0).
  for (const json& bad : {json(nan), json(inf), json(1e300), json(2.0), json(4294967296LL),
                          json(9223372036854775808ULL), json(-2147483649LL)}) {
    EXPECT_EQ(ReadField("level", bad), std::nullopt) << bad.dump();
  }
  EXPECT_EQ(ReadField("level", json(2)), "2");
  EXPECT_EQ(ReadField("level", json("LEVEL_TWO")), "2");
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
