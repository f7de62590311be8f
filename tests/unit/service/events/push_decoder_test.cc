#include "service/events/push_decoder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "service/events/xml_codec.h"
#include "tests/testing/pushes.h"
#include "tests/testing/xml_leaves.h"

namespace wxgate {
namespace {

using testing::XmlLeaves;
using wechat::mp::v1::Event;

// The push WeChat would send for `event`: its header, then its payload's fields.
std::string Reencode(const Event& event) {
  pugi::xml_document document;
  pugi::xml_node root = document.append_child("xml");
  root.append_child("ToUserName").text().set(event.to_user_name().c_str());
  root.append_child("FromUserName").text().set(event.from_user_name().c_str());
  root.append_child("CreateTime").text().set(static_cast<long long>(event.create_time()));
  root.append_child("MsgType").text().set(event.msg_type().c_str());
  if (!event.event().empty()) root.append_child("Event").text().set(event.event().c_str());
  const auto* member = event.GetReflection()->GetOneofFieldDescriptor(
      event, Event::descriptor()->FindOneofByName("payload"));
  WriteXmlFields(event.GetReflection()->GetMessage(event, member), root);
  std::ostringstream out;
  document.save(out);
  return out.str();
}

std::string MemberName(const Event& event) {
  const auto* member = event.GetReflection()->GetOneofFieldDescriptor(
      event, Event::descriptor()->FindOneofByName("payload"));
  return member == nullptr ? "" : member->name();
}

// Every sample push (tests/fake_wechat/pushes/<member>.xml) decodes into its member
// with nothing left over, and every value of the sample survives the trip: a
// misnamed or mistyped field loses a value and fails here. raw_xml is the sample,
// byte for byte.
TEST(PushDecoderTest, EverySamplePushDecodesCompletely) {
  std::set<std::string> members_seen;
  for (const auto& entry : std::filesystem::directory_iterator(WXGATE_PUSH_SAMPLES_DIR)) {
    const std::string name = entry.path().stem();
    if (name == "unknown_future_event") continue;
    SCOPED_TRACE(name);
    const std::string xml = testing::ReadTextFile(entry.path());
    absl::StatusOr<DecodedPush> decoded = DecodePush(xml);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(decoded->unplaced.empty()) << decoded->unplaced.front();
    EXPECT_TRUE(decoded->event.untyped().empty());
    EXPECT_EQ(MemberName(decoded->event), name);
    EXPECT_EQ(decoded->event.raw_xml(), xml);
    EXPECT_EQ(XmlLeaves(Reencode(decoded->event)), XmlLeaves(xml));
    members_seen.insert(name);
  }
  // One sample per payload member, so every kind is tested.
  EXPECT_EQ(members_seen.size(), KnownPushKinds().size());
}

TEST(PushDecoderTest, AnUnknownPushKeepsItsFieldsAndRawXml) {
  const std::string xml = testing::ReadTextFile(std::filesystem::path(WXGATE_PUSH_SAMPLES_DIR) /
                                                "unknown_future_event.xml");
  absl::StatusOr<DecodedPush> decoded = DecodePush(xml);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const Event& event = decoded->event;
  ASSERT_TRUE(event.has_unknown());
  EXPECT_EQ(event.raw_xml(), xml);
  EXPECT_FALSE(event.unknown().fields().empty());
  EXPECT_EQ(event.unknown().fields().count("ToUserName"), 0u);  // the header is not repeated
  // Every leaf except the header is in the map.
  EXPECT_EQ(event.unknown().fields().size() + 5, XmlLeaves(xml).size());
}

TEST(PushDecoderTest, MatchesEventsIgnoringCase) {
  absl::StatusOr<DecodedPush> decoded = DecodePush(
      "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
      "<MsgType>event</MsgType><Event>SUBSCRIBE</Event><EventKey>qrscene_1</EventKey></xml>");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->event.subscribe().event_key(), "qrscene_1");
  EXPECT_EQ(decoded->event.event(), "SUBSCRIBE");  // as WeChat wrote it
}

TEST(PushDecoderTest, KeepsRawXmlWhenSomethingCouldNotBePlaced) {
  const std::string xml =
      "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
      "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId><Brand>new</Brand></xml>";
  absl::StatusOr<DecodedPush> decoded = DecodePush(xml);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->unplaced, std::vector<std::string>{"Brand"});
  EXPECT_EQ(std::vector<std::string>(decoded->event.untyped().begin(),
                                     decoded->event.untyped().end()),
            std::vector<std::string>{"Brand"});
  EXPECT_EQ(decoded->event.raw_xml(), xml);
  EXPECT_EQ(decoded->event.text().content(), "hi");
  EXPECT_TRUE(decoded->event.reply_allowed());
}

// Event chooses the payload of MsgType event and device_event only: a text message
// that also carries <Event> is text, its <Event> an untyped element.
TEST(PushDecoderTest, AnEventElementDoesNotChooseTheKindOfAMessage) {
  const std::string xml =
      "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
      "<MsgType>text</MsgType><Event>CLICK</Event><Content>hi</Content><MsgId>7</MsgId></xml>";
  absl::StatusOr<DecodedPush> decoded = DecodePush(xml);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(decoded->event.has_text());
  EXPECT_EQ(decoded->event.text().content(), "hi");
  EXPECT_EQ(decoded->event.text().msg_id(), 7);
  EXPECT_TRUE(decoded->event.reply_allowed());
  EXPECT_EQ(decoded->event.event(), "");
  EXPECT_EQ(decoded->unplaced, std::vector<std::string>{"Event"});
  EXPECT_EQ(decoded->event.raw_xml(), xml);

  // An unknown MsgType keeps its <Event> in the field map.
  decoded = DecodePush(
      "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
      "<MsgType>hologram</MsgType><Event>CLICK</Event></xml>");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(decoded->event.has_unknown());
  EXPECT_EQ(decoded->event.event(), "");
  EXPECT_EQ(decoded->event.unknown().fields().at("Event"), "CLICK");

  // device_event is chosen by its Event.
  decoded = DecodePush(
      "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
      "<MsgType>device_event</MsgType><Event>unbind</Event><OpType>1</OpType></xml>");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->event.has_device_unbind());
  EXPECT_EQ(decoded->event.event(), "unbind");
}

TEST(PushDecoderTest, RefusesWhatIsNotAPush) {
  for (const char* bad : {"", "<xml>", "<root><MsgType>text</MsgType></root>",
                          "<xml><ToUserName>gh</ToUserName></xml>",
                          "<!DOCTYPE x [<!ENTITY e \"e\">]><xml><MsgType>&e;</MsgType></xml>"}) {
    EXPECT_EQ(DecodePush(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace wxgate
