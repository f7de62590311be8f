#include "service/events/component_push_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace wxgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using wechat::open::v1::ComponentEvent;

ComponentEvent Decode(const std::string& xml) {
  absl::StatusOr<DecodedComponentPush> decoded = DecodeComponentPush(xml);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return decoded.ok() ? decoded->event : ComponentEvent();
}

TEST(ComponentPushDecoderTest, ReadsTheVerifyTicket) {
  const ComponentEvent event = Decode(
      "<xml><AppId><![CDATA[wx3b7f0c55b1b7e8a1]]></AppId><CreateTime>1413192605</CreateTime>"
      "<InfoType><![CDATA[component_verify_ticket]]></InfoType>"
      "<ComponentVerifyTicket><![CDATA[ticket@@@Vy3Ab]]></ComponentVerifyTicket></xml>");
  EXPECT_EQ(event.component_appid(), "wx3b7f0c55b1b7e8a1");
  EXPECT_EQ(event.create_time(), 1413192605);
  EXPECT_EQ(event.info_type(), "component_verify_ticket");
  EXPECT_EQ(event.component_verify_ticket().component_verify_ticket(), "ticket@@@Vy3Ab");
  EXPECT_THAT(event.untyped(), IsEmpty());
  EXPECT_TRUE(event.msg_type().empty());
}

TEST(ComponentPushDecoderTest, ReadsAnAuthorization) {
  const ComponentEvent event = Decode(
      "<xml><AppId>wxc0mp</AppId><CreateTime>1413192760</CreateTime>"
      "<InfoType>updateauthorized</InfoType><AuthorizerAppid>wxoa1</AuthorizerAppid>"
      "<AuthorizationCode>queryauthcode@@@cDNh</AuthorizationCode>"
      "<AuthorizationCodeExpiredTime>1413196360</AuthorizationCodeExpiredTime>"
      "<PreAuthCode>preauthcode@@@zTRb</PreAuthCode></xml>");
  ASSERT_EQ(event.payload_case(), ComponentEvent::kUpdateauthorized);
  EXPECT_EQ(event.updateauthorized().authorizer_appid(), "wxoa1");
  EXPECT_EQ(event.updateauthorized().authorization_code(), "queryauthcode@@@cDNh");
  EXPECT_EQ(event.updateauthorized().authorization_code_expired_time(), 1413196360);
  EXPECT_EQ(event.updateauthorized().pre_auth_code(), "preauthcode@@@zTRb");
}

TEST(ComponentPushDecoderTest, ReadsLowerCaseAndNestedElements) {
  const ComponentEvent event = Decode(
      "<xml><AppId>wxc0mp</AppId><CreateTime>1535442403</CreateTime>"
      "<InfoType>notify_third_fasteregister</InfoType><appid>wxnew</appid><status>0</status>"
      "<auth_code>authcode1</auth_code><msg>OK</msg><info><name>tencent</name><code>123</code>"
      "<code_type>1</code_type><legal_persona_wechat>wx123</legal_persona_wechat>"
      "<legal_persona_name>candy</legal_persona_name>"
      "<component_phone>1234567</component_phone></info></xml>");
  ASSERT_EQ(event.payload_case(), ComponentEvent::kNotifyThirdFasteregister);
  const auto& push = event.notify_third_fasteregister();
  EXPECT_EQ(push.appid(), "wxnew");
  EXPECT_EQ(push.auth_code(), "authcode1");
  EXPECT_EQ(push.msg(), "OK");
  EXPECT_EQ(push.info().name(), "tencent");
  EXPECT_EQ(push.info().code_type(), 1);
  EXPECT_EQ(push.info().component_phone(), "1234567");
  EXPECT_THAT(event.untyped(), IsEmpty());
}

TEST(ComponentPushDecoderTest, ReadsAManagedMiniProgramsEvent) {
  const ComponentEvent event = Decode(
      "<xml><ToUserName>gh_fb9688c2a4b2</ToUserName><FromUserName>od1P50M</FromUserName>"
      "<CreateTime>1488856591</CreateTime><MsgType>event</MsgType>"
      "<Event>weapp_audit_fail</Event><Reason>name not allowed</Reason>"
      "<FailTime>1488856591</FailTime><ScreenShot>xxx|yyy</ScreenShot></xml>");
  EXPECT_EQ(event.to_user_name(), "gh_fb9688c2a4b2");
  EXPECT_EQ(event.msg_type(), "event");
  EXPECT_EQ(event.event(), "weapp_audit_fail");
  EXPECT_TRUE(event.info_type().empty());
  ASSERT_EQ(event.payload_case(), ComponentEvent::kWeappAuditFail);
  EXPECT_EQ(event.weapp_audit_fail().reason(), "name not allowed");
  EXPECT_EQ(event.weapp_audit_fail().fail_time(), 1488856591);
  EXPECT_EQ(event.weapp_audit_fail().screen_shot(), "xxx|yyy");
}

TEST(ComponentPushDecoderTest, ReadsWeChatsMisspelledWrapper) {
  const ComponentEvent event = Decode(
      "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
      "<CreateTime>1</CreateTime><MsgType>event</MsgType>"
      "<Event>betaapp_authorization_apply_event</Event><ApplyAuthorizationInfoNoitfy>"
      "<appid>wxbeta</appid><mp_appid>wxoa</mp_appid><status>1</status>"
      "<ticket>t1</ticket></ApplyAuthorizationInfoNoitfy></xml>");
  ASSERT_EQ(event.payload_case(), ComponentEvent::kBetaappAuthorizationApplyEvent);
  const auto& info = event.betaapp_authorization_apply_event().apply_authorization_info_notify();
  EXPECT_EQ(info.appid(), "wxbeta");
  EXPECT_EQ(info.mp_appid(), "wxoa");
  EXPECT_EQ(info.ticket(), "t1");
}

TEST(ComponentPushDecoderTest, KeepsAnUnknownInfoTypeAsAFieldMap) {
  const ComponentEvent event = Decode(
      "<xml><AppId>wxc0mp</AppId><CreateTime>1</CreateTime><InfoType>notify_new_thing</InfoType>"
      "<thing_id>42</thing_id><detail><state>2</state></detail></xml>");
  ASSERT_EQ(event.payload_case(), ComponentEvent::kUnknown);
  EXPECT_EQ(event.info_type(), "notify_new_thing");
  EXPECT_EQ(event.unknown().fields().size(), 2u);
  EXPECT_EQ(event.unknown().fields().at("thing_id"), "42");
  EXPECT_EQ(event.unknown().fields().at("detail.state"), "2");
}

TEST(ComponentPushDecoderTest, NamesWhatNoFieldHolds) {
  const ComponentEvent event = Decode(
      "<xml><AppId>wxc0mp</AppId><CreateTime>1</CreateTime><InfoType>unauthorized</InfoType>"
      "<AuthorizerAppid>wxoa</AuthorizerAppid><Extra>x</Extra></xml>");
  EXPECT_EQ(event.unauthorized().authorizer_appid(), "wxoa");
  EXPECT_THAT(event.untyped(), ElementsAre("Extra"));
}

TEST(ComponentPushDecoderTest, RefusesWhatIsNoPush) {
  EXPECT_FALSE(DecodeComponentPush("<xml><AppId>wx</AppId></xml>").ok());
  EXPECT_FALSE(DecodeComponentPush("<root><InfoType>authorized</InfoType></root>").ok());
  EXPECT_FALSE(DecodeComponentPush("not xml").ok());
}

TEST(ComponentPushDecoderTest, TellsAManagedMiniProgramsEventFromTheAccountsOwn) {
  EXPECT_TRUE(IsComponentEvent("event", "weapp_audit_success"));
  EXPECT_TRUE(IsComponentEvent("EVENT", "Weapp_Audit_Fail"));
  EXPECT_FALSE(IsComponentEvent("event", "subscribe"));
  EXPECT_FALSE(IsComponentEvent("text", ""));
  EXPECT_FALSE(IsComponentEvent("event", "")) << "an InfoType push is not on this URL";
}

TEST(ComponentPushDecoderTest, KnowsEveryMemberOnce) {
  // 12 InfoTypes and 11 events of component-events.tsv.
  EXPECT_EQ(KnownComponentPushKinds().size(), 23u);
}

}  // namespace
}  // namespace wxgate
