#include "service/events/event_filter.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

using v1::EventFilter;

StreamEvent Click(const std::string& appid, const std::string& key) {
  wechat::mp::v1::Event event;
  event.set_appid(appid);
  event.set_msg_type("event");
  event.set_event("CLICK");
  event.mutable_click()->set_event_key(key);
  return StreamEventOf(std::move(event));
}

StreamEvent Authorized(const std::string& component_appid) {
  wechat::open::v1::ComponentEvent event;
  event.set_component_appid(component_appid);
  event.set_info_type("authorized");
  event.mutable_authorized()->set_authorizer_appid("wxa");
  return StreamEventOf(std::move(event));
}

StreamEvent AuditSuccess(const std::string& component_appid, const std::string& mini_program) {
  wechat::open::v1::ComponentEvent event;
  event.set_component_appid(component_appid);
  event.set_authorizer_appid(mini_program);
  event.set_msg_type("event");
  event.set_event("weapp_audit_success");
  return StreamEventOf(std::move(event));
}

EventFilter Filter(std::function<void(EventFilter&)> fill) {
  EventFilter filter;
  fill(filter);
  return filter;
}

TEST(EventFilterTest, AnEmptyFilterMatchesEveryKind) {
  EXPECT_TRUE(EventMatches({}, Click("wxa", "k")));
  EXPECT_TRUE(EventMatches({}, Authorized("wxc")));
  EXPECT_TRUE(EventMatches({}, AuditSuccess("wxc", "wxm")));
}

TEST(EventFilterTest, AccountPartsMatchAnAccountsPush) {
  EXPECT_TRUE(EventMatches(Filter([](auto& f) { f.add_appids("wxa"); }), Click("wxa", "k")));
  EXPECT_FALSE(EventMatches(Filter([](auto& f) { f.add_appids("wxb"); }), Click("wxa", "k")));
  EXPECT_TRUE(EventMatches(Filter([](auto& f) { f.add_events("click"); }), Click("wxa", "k")));
  EXPECT_TRUE(
      EventMatches(Filter([](auto& f) { f.set_event_key_prefix("k"); }), Click("wxa", "key")));
  EXPECT_FALSE(
      EventMatches(Filter([](auto& f) { f.set_event_key_prefix("x"); }), Click("wxa", "key")));
}

TEST(EventFilterTest, ComponentPartsSelectComponentPushesOnly) {
  const EventFilter by_component = Filter([](auto& f) { f.add_component_appids("wxc"); });
  EXPECT_TRUE(EventMatches(by_component, Authorized("wxc")));
  EXPECT_TRUE(EventMatches(by_component, AuditSuccess("wxc", "wxm")));
  EXPECT_FALSE(EventMatches(by_component, Authorized("wxother")));
  EXPECT_FALSE(EventMatches(by_component, Click("wxa", "k")));

  const EventFilter by_info_type = Filter([](auto& f) { f.add_info_types("authorized"); });
  EXPECT_TRUE(EventMatches(by_info_type, Authorized("wxc")));
  EXPECT_FALSE(EventMatches(by_info_type, AuditSuccess("wxc", "wxm")));  // no InfoType
  EXPECT_FALSE(EventMatches(by_info_type, Click("wxa", "k")));
}

TEST(EventFilterTest, AccountPartsReadAComponentPushsHeader) {
  // The mini program's events carry MsgType, Event and the authorizer's appid.
  EXPECT_TRUE(EventMatches(Filter([](auto& f) { f.add_events("WEAPP_AUDIT_SUCCESS"); }),
                           AuditSuccess("wxc", "wxm")));
  EXPECT_TRUE(
      EventMatches(Filter([](auto& f) { f.add_appids("wxm"); }), AuditSuccess("wxc", "wxm")));
  // An authorization-event push has none of them.
  EXPECT_FALSE(EventMatches(Filter([](auto& f) { f.add_appids("wxa"); }), Authorized("wxc")));
  EXPECT_FALSE(EventMatches(Filter([](auto& f) { f.add_msg_types("event"); }), Authorized("wxc")));
  EXPECT_FALSE(
      EventMatches(Filter([](auto& f) { f.set_event_key_prefix("k"); }), Authorized("wxc")));
}

}  // namespace
}  // namespace wxgate
