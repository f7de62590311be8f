#include "service/events/push_dedup.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

using wechat::mp::v1::Event;

Event Text(int64_t msg_id) {
  Event event;
  event.set_appid("wxa");
  event.set_msg_type("text");
  event.set_from_user_name("o1");
  event.set_create_time(1700000000);
  event.mutable_text()->set_msg_id(msg_id);
  return event;
}

Event Click(const std::string& key, int64_t create_time = 1700000000) {
  Event event;
  event.set_appid("wxa");
  event.set_msg_type("event");
  event.set_event("CLICK");
  event.set_from_user_name("o1");
  event.set_create_time(create_time);
  event.mutable_click()->set_event_key(key);
  return event;
}

TEST(PushIdentityTest, IsTheMsgIdWhenThereIsOne) {
  EXPECT_EQ(PushIdentity(Text(42)), PushIdentity(Text(42)));
  EXPECT_NE(PushIdentity(Text(42)), PushIdentity(Text(43)));
  Event other_account = Text(42);
  other_account.set_appid("wxb");
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

}  // namespace
}  // namespace wxgate
