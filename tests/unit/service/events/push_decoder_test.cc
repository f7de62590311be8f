#include "service/events/push_decoder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
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
  EXPECT_EQ(
      std::vector<std::string>(decoded->event.untyped().begin(), decoded->event.untyped().end()),
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

// A push as WeChat's documents show it: the header, then `body`.
std::string DocumentedPush(const std::string& msg_type, const std::string& event,
                           const std::string& body) {
  return absl::StrCat(
      "<xml><ToUserName><![CDATA[gh_870882ca4b1]]></ToUserName>"
      "<FromUserName><![CDATA[owAqB1v0ahK_Xlc7GshIDdf2yf7E]]></FromUserName>"
      "<CreateTime>1626857200</CreateTime><MsgType><![CDATA[",
      msg_type, "]]></MsgType>",
      event.empty() ? "" : absl::StrCat("<Event><![CDATA[", event, "]]></Event>"), body, "</xml>");
}

// Fields that once survived only in raw_xml, with the samples of WeChat's pages (and
// the element names peers read where WeChat's pages disagree): each is typed now,
// and nothing of the push is left untyped.
TEST(PushDecoderTest, TypesEveryFieldOfWeChatsSamples) {
  struct Case {
    std::string name;
    std::string xml;
    std::function<void(const Event&)> check;
  };
  const Case cases[] = {
      {"device_bind carries MsgId",
       DocumentedPush("device_event", "bind",
                      "<DeviceType><![CDATA[gh_123456789abc]]></DeviceType>"
                      "<DeviceID><![CDATA[dev1]]></DeviceID><Content><![CDATA[]]></Content>"
                      "<SessionID>9394</SessionID><MsgId>66688888</MsgId>"
                      "<OpenID><![CDATA[oTHnHt1]]></OpenID><OpType>1</OpType>"),
       [](const Event& e) {
         EXPECT_EQ(e.device_bind().msg_id(), 66688888);
         EXPECT_EQ(e.device_bind().session_id(), 9394);
         EXPECT_EQ(e.device_bind().op_type(), 1);
       }},
      {"wifi_connected with ShopId",
       DocumentedPush("event", "WifiConnected",
                      "<ConnectTime>1700000000</ConnectTime><ExpireTime>0</ExpireTime>"
                      "<VendorId><![CDATA[3001224419]]></VendorId><ShopId>429620</ShopId>"
                      "<DeviceNo><![CDATA[00:1f:7a:ad:5b:a9]]></DeviceNo>"),
       [](const Event& e) { EXPECT_EQ(e.wifi_connected().shop_id(), 429620); }},
      {"wifi_connected with PlaceId",
       DocumentedPush("event", "WifiConnected",
                      "<ConnectTime>1700000000</ConnectTime><ExpireTime>0</ExpireTime>"
                      "<VendorId><![CDATA[3001224419]]></VendorId><PlaceId>429620</PlaceId>"
                      "<DeviceNo><![CDATA[00:1f:7a:ad:5b:a9]]></DeviceNo>"),
       [](const Event& e) {
         EXPECT_EQ(e.wifi_connected().shop_id(), 429620);
         EXPECT_EQ(e.wifi_connected().device_no(), "00:1f:7a:ad:5b:a9");
       }},
      {"user_authorize_invoice with AppId",
       DocumentedPush("event", "user_authorize_invoice",
                      "<SuccOrderId><![CDATA[1202933957956]]></SuccOrderId>"
                      "<FailOrderId><![CDATA[]]></FailOrderId>"
                      "<AppId><![CDATA[wxd1234567890abcde]]></AppId>"
                      "<Source><![CDATA[web]]></Source>"),
       [](const Event& e) {
         EXPECT_EQ(e.user_authorize_invoice().authorize_app_id(), "wxd1234567890abcde");
         EXPECT_EQ(e.user_authorize_invoice().source(), "web");
       }},
      {"user_authorize_invoice with AuthorizeAppId and source",
       DocumentedPush("event", "user_authorize_invoice",
                      "<SuccOrderId><![CDATA[1202933957956]]></SuccOrderId>"
                      "<AuthorizeAppId><![CDATA[wxd1234567890abcde]]></AuthorizeAppId>"
                      "<source><![CDATA[wxa]]></source>"),
       [](const Event& e) {
         EXPECT_EQ(e.user_authorize_invoice().authorize_app_id(), "wxd1234567890abcde");
         EXPECT_EQ(e.user_authorize_invoice().source(), "wxa");
       }},
      {"unsubscribe carries an EventKey",
       DocumentedPush("event", "unsubscribe", "<EventKey><![CDATA[qrscene_123]]></EventKey>"),
       [](const Event& e) { EXPECT_EQ(e.unsubscribe().event_key(), "qrscene_123"); }},
      {"unsubscribe with WeChat's usual empty EventKey",
       DocumentedPush("event", "unsubscribe", "<EventKey><![CDATA[]]></EventKey>"),
       [](const Event& e) { EXPECT_TRUE(e.has_unsubscribe()); }},
      {"text from a sub-merchant's customer service carries BusinessId",
       DocumentedPush("text", "",
                      "<Content><![CDATA[this is a test]]></Content>"
                      "<MsgId>1234567890123456</MsgId><BusinessId>1</BusinessId>"),
       [](const Event& e) {
         EXPECT_EQ(e.text().business_id(), 1);
         EXPECT_EQ(e.text().msg_id(), 1234567890123456);
       }},
      {"image from a sub-merchant's customer service carries BusinessId",
       DocumentedPush("image", "",
                      "<PicUrl><![CDATA[http://example.com/p.jpg]]></PicUrl>"
                      "<MediaId><![CDATA[media_id]]></MediaId><MsgId>1234567890123456</MsgId>"
                      "<BusinessId>2</BusinessId>"),
       [](const Event& e) { EXPECT_EQ(e.image().business_id(), 2); }},
      {"user_info_modified with OpenID, AppID and RevokeInfo (WeChat's sample)",
       DocumentedPush("event", "user_info_modified",
                      "<OpenID><![CDATA[owAqB1nqaOYYWl0Ng484G2z5NIwU]]></OpenID>"
                      "<AppID><![CDATA[wx13974bf780d3dc89]]></AppID>"
                      "<RevokeInfo><![CDATA[1]]></RevokeInfo>"),
       [](const Event& e) {
         EXPECT_EQ(e.user_info_modified().open_id(), "owAqB1nqaOYYWl0Ng484G2z5NIwU");
         EXPECT_EQ(e.user_info_modified().app_id(), "wx13974bf780d3dc89");
         EXPECT_EQ(e.user_info_modified().revoke_info(), "1");
       }},
      {"user_authorization_revoke inside a plugin",
       DocumentedPush("event", "user_authorization_revoke",
                      "<OpenID><![CDATA[owAqB1nqaOYYWl0Ng484G2z5NIwU]]></OpenID>"
                      "<AppID><![CDATA[wx13974bf780d3dc89]]></AppID>"
                      "<RevokeInfo><![CDATA[5]]></RevokeInfo>"
                      "<PluginID><![CDATA[wxidplugin]]></PluginID>"
                      "<OpenPID><![CDATA[oPID]]></OpenPID>"),
       [](const Event& e) {
         EXPECT_EQ(e.user_authorization_revoke().plugin_id(), "wxidplugin");
         EXPECT_EQ(e.user_authorization_revoke().open_pid(), "oPID");
       }},
      {"poi_check_notify with msg (the doc's table)",
       DocumentedPush("event", "poi_check_notify",
                      "<UniqId><![CDATA[123adb]]></UniqId><PoiId><![CDATA[123123]]></PoiId>"
                      "<Result><![CDATA[fail]]></Result><msg><![CDATA[xxxxxx]]></msg>"),
       [](const Event& e) { EXPECT_EQ(e.poi_check_notify().msg(), "xxxxxx"); }},
      {"shakearound beacons beyond int32",
       DocumentedPush("event", "ShakearoundUserShake",
                      "<ChosenBeacon><Uuid><![CDATA[121212121212]]></Uuid>"
                      "<Major>3000000000</Major><Minor>4294967295</Minor>"
                      "<Distance>0.057</Distance></ChosenBeacon>"),
       [](const Event& e) {
         EXPECT_EQ(e.shakearound_user_shake().chosen_beacon().major(), 3000000000u);
         EXPECT_EQ(e.shakearound_user_shake().chosen_beacon().minor(), 4294967295u);
       }},
      {"user_enter_tempsession from a sub-merchant",
       DocumentedPush("event", "user_enter_tempsession",
                      "<SessionFrom><![CDATA[sessionFrom]]></SessionFrom>"
                      "<BusinessId>7</BusinessId>"),
       [](const Event& e) { EXPECT_EQ(e.user_enter_tempsession().business_id(), 7); }},
      {"miniprogrampage from a sub-merchant",
       DocumentedPush("miniprogrampage", "",
                      "<MsgId>1</MsgId><AppId><![CDATA[wxa]]></AppId>"
                      "<Title><![CDATA[t]]></Title><PagePath><![CDATA[p]]></PagePath>"
                      "<ThumbUrl><![CDATA[u]]></ThumbUrl>"
                      "<ThumbMediaId><![CDATA[m]]></ThumbMediaId><BusinessId>3</BusinessId>"),
       [](const Event& e) { EXPECT_EQ(e.miniprogrampage().business_id(), 3); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<DecodedPush> decoded = DecodePush(c.xml);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(decoded->unplaced.empty()) << decoded->unplaced.front();
    EXPECT_FALSE(decoded->event.has_unknown());
    c.check(decoded->event);
  }
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
