#include "service/events/push_dedup.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

using wechat::mp::v1::Event;

StreamEvent Stream(Event event) {
  StreamEvent stream_event;
  *stream_event.mutable_event() = std::move(event);
  return stream_event;
}

StreamEvent Text(int64_t msg_id) {
  Event event;
  event.set_appid("wxa");
  event.set_msg_type("text");
  event.set_from_user_name("o1");
  event.set_create_time(1700000000);
  event.mutable_text()->set_msg_id(msg_id);
  return Stream(event);
}

StreamEvent Click(const std::string& key, int64_t create_time = 1700000000) {
  Event event;
  event.set_appid("wxa");
  event.set_msg_type("event");
  event.set_event("CLICK");
  event.set_from_user_name("o1");
  event.set_create_time(create_time);
  event.mutable_click()->set_event_key(key);
  return Stream(event);
}

StreamEvent Component(const std::string& info_type, int64_t create_time, const std::string& xml) {
  StreamEvent stream_event;
  wechat::open::v1::ComponentEvent& event = *stream_event.mutable_component_event();
  event.set_component_appid("wxc");
  event.set_info_type(info_type);
  event.set_create_time(create_time);
  event.set_raw_xml(xml);
  return stream_event;
}

TEST(PushIdentityTest, IsTheMsgIdWhenThereIsOne) {
  EXPECT_EQ(PushIdentity(Text(42)), PushIdentity(Text(42)));
  EXPECT_NE(PushIdentity(Text(42)), PushIdentity(Text(43)));
  StreamEvent other_account = Text(42);
  other_account.mutable_event()->set_appid("wxb");
  EXPECT_NE(PushIdentity(Text(42)), PushIdentity(other_account));
}

TEST(PushIdentityTest, HasOneSizeHoweverLongThePush) {
  EXPECT_EQ(PushIdentity(Text(42)).size(), 32u);
  EXPECT_EQ(PushIdentity(Click(std::string(1 << 20, 'k'))).size(), 32u);
  EXPECT_NE(PushIdentity(Click(std::string(1 << 20, 'k'))),
            PushIdentity(Click(std::string((1 << 20) + 1, 'k'))));
}

TEST(PushIdentityTest, IsSenderTimeEventAndKeyOtherwise) {
  EXPECT_EQ(PushIdentity(Click("A")), PushIdentity(Click("A")));
  EXPECT_NE(PushIdentity(Click("A")), PushIdentity(Click("B")));
  EXPECT_NE(PushIdentity(Click("A")), PushIdentity(Click("A", 1700000001)));
}

TEST(PushIdentityTest, IsAComponentPushsHeaderAndXml) {
  EXPECT_EQ(PushIdentity(Component("authorized", 1, "<xml>a</xml>")),
            PushIdentity(Component("authorized", 1, "<xml>a</xml>")));
  EXPECT_NE(PushIdentity(Component("authorized", 1, "<xml>a</xml>")),
            PushIdentity(Component("authorized", 1, "<xml>b</xml>")));
  // A ticket's XML is withheld: its CreateTime tells the pushes apart.
  EXPECT_NE(PushIdentity(Component("component_verify_ticket", 1, "")),
            PushIdentity(Component("component_verify_ticket", 601, "")));
  EXPECT_NE(PushIdentity(Component("authorized", 1, "")),
            PushIdentity(Component("unauthorized", 1, "")));
}

TEST(PushDedupTest, DropsRepeatsWithinTheWindowOnly) {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  PushDedup dedup(absl::Minutes(5), [&] { return now; });
  EXPECT_TRUE(dedup.FirstSighting("a"));
  EXPECT_FALSE(dedup.FirstSighting("a"));
  EXPECT_TRUE(dedup.FirstSighting("b"));
  now += absl::Minutes(4);
  EXPECT_FALSE(dedup.FirstSighting("a"));  // WeChat's third retry, still a repeat
  now += absl::Minutes(2);
  EXPECT_TRUE(dedup.FirstSighting("a"));  // the window passed: new again
}

TEST(PushDedupTest, ForgetsTheOldestWhenFull) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);  // a clock that stands still
  PushDedup dedup(
      absl::Minutes(5), [&] { return now; }, /*max_entries=*/2);
  EXPECT_TRUE(dedup.FirstSighting("a"));
  EXPECT_TRUE(dedup.FirstSighting("b"));
  EXPECT_FALSE(dedup.FirstSighting("a"));  // a repeat takes no room
  EXPECT_FALSE(dedup.FirstSighting("b"));
  EXPECT_TRUE(dedup.FirstSighting("c"));  // full: "a" is forgotten early
  EXPECT_FALSE(dedup.FirstSighting("b"));
  EXPECT_FALSE(dedup.FirstSighting("c"));
  EXPECT_TRUE(dedup.FirstSighting("a"));
}

TEST(PushDedupTest, IsBoundedByBytesAsWellAsEntries) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  PushDedup dedup(
      absl::Minutes(5), [&] { return now; }, /*max_entries=*/1000,
      /*max_bytes=*/3 * kDedupBytesPerEntry);
  EXPECT_EQ(dedup.capacity(), 3u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(dedup.FirstSighting(PushIdentity(Text(i))));
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_EQ(dedup.bytes(), 3 * kDedupBytesPerEntry);
  EXPECT_FALSE(dedup.FirstSighting(PushIdentity(Text(9))));  // the newest are kept
  EXPECT_TRUE(dedup.FirstSighting(PushIdentity(Text(0))));   // the oldest forgotten
}

TEST(PushDedupTest, TheDefaultsHoldTheirEntriesWithinTheirBytes) {
  PushDedup dedup(absl::Minutes(5));
  EXPECT_EQ(dedup.capacity(), kDefaultMaxDedupEntries);
  EXPECT_LE(kDefaultMaxDedupEntries * kDedupBytesPerEntry, kDefaultMaxDedupBytes);
}

TEST(PushDedupTest, TellsIdentitiesApartByAllTheirDigits) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  PushDedup dedup(absl::Minutes(5), [&] { return now; });
  EXPECT_TRUE(dedup.FirstSighting("0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(dedup.FirstSighting("0123456789abcdef0123456789abcdee"));
  EXPECT_TRUE(dedup.FirstSighting("1123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(dedup.FirstSighting("0123456789abcdef0123456789abcdef"));
}

}  // namespace
}  // namespace wxgate
