#include "service/events/reply_broker.h"

#include <gtest/gtest.h>

#include <vector>

namespace wxgate {
namespace {

using wechat::mp::v1::Event;

std::shared_ptr<const Event> Push(const std::string& id) {
  auto event = std::make_shared<Event>();
  event->set_id(id);
  event->set_appid("wxa");
  event->set_from_user_name("oUser");
  event->set_to_user_name("gh_account");
  return event;
}

wechat::mp::v1::Reply TextReply(const std::string& content) {
  wechat::mp::v1::Reply reply;
  reply.mutable_text()->set_content(content);
  return reply;
}

class ReplyBrokerTest : public ::testing::Test {
 protected:
  ReplyBroker::AnswerFn Record() {
    return [this](std::optional<std::string> xml) { answers_.push_back(xml); };
  }
  ReplyBroker broker_{[] { return absl::FromUnixSeconds(1700000001); }};
  std::vector<std::optional<std::string>> answers_;
};

TEST_F(ReplyBrokerTest, AReplyAnswersThePushOnce) {
  broker_.Await(Push("e1"), Record());
  EXPECT_EQ(broker_.AppidOf("e1"), "wxa");
  ASSERT_NE(broker_.PushOf("e1"), nullptr);
  EXPECT_EQ(broker_.PushOf("e1")->id(), "e1");
  ASSERT_TRUE(broker_.Reply("e1", TextReply("hi")).ok());
  EXPECT_EQ(broker_.PushOf("e1"), nullptr);
  ASSERT_EQ(answers_.size(), 1u);
  ASSERT_TRUE(answers_[0].has_value());
  EXPECT_NE(answers_[0]->find("<ToUserName><![CDATA[oUser]]></ToUserName>"), std::string::npos);
  EXPECT_NE(answers_[0]->find("<Content><![CDATA[hi]]></Content>"), std::string::npos);
  // A second reply, or the window's end, finds nothing waiting.
  EXPECT_EQ(broker_.Reply("e1", TextReply("again")).code(), absl::StatusCode::kFailedPrecondition);
  broker_.Expire("e1");
  EXPECT_EQ(answers_.size(), 1u);
}

TEST_F(ReplyBrokerTest, TheWindowsEndAnswersWithoutReply) {
  broker_.Await(Push("e1"), Record());
  broker_.Expire("e1");
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_FALSE(answers_[0].has_value());
  absl::Status late = broker_.Reply("e1", TextReply("late"));
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("KfService"), absl::string_view::npos);
}

TEST_F(ReplyBrokerTest, AnEmptyReplyMeansSuccessNow) {
  broker_.Await(Push("e1"), Record());
  ASSERT_TRUE(broker_.Reply("e1", std::nullopt).ok());
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_FALSE(answers_[0].has_value());
}

TEST_F(ReplyBrokerTest, AMalformedReplyIsRefusedAndThePushKeepsWaiting) {
  broker_.Await(Push("e1"), Record());
  wechat::mp::v1::Reply two_articles;
  two_articles.mutable_news()->add_articles()->set_title("1");
  two_articles.mutable_news()->add_articles()->set_title("2");
  EXPECT_EQ(broker_.Reply("e1", two_articles).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(answers_.empty());
  EXPECT_TRUE(broker_.Reply("e1", TextReply("fixed")).ok());
  EXPECT_EQ(answers_.size(), 1u);
}

TEST_F(ReplyBrokerTest, UnknownIdsAreNotWaiting) {
  EXPECT_EQ(broker_.Reply("nope", TextReply("x")).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(broker_.AppidOf("nope"), "");
}

TEST_F(ReplyBrokerTest, AReplyEncodedElsewhereAnswersAsIs) {
  broker_.Await(Push("e1"), Record());
  EXPECT_TRUE(broker_.Answer("e1", "<xml>from another replica</xml>"));
  EXPECT_FALSE(broker_.Answer("e1", "<xml>again</xml>"));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0], "<xml>from another replica</xml>");
}

TEST_F(ReplyBrokerTest, AForgottenPushIsNeverAnswered) {
  broker_.Await(Push("e1"), Record());
  EXPECT_TRUE(broker_.Forget("e1"));
  EXPECT_FALSE(broker_.Forget("e1"));
  broker_.Expire("e1");
  EXPECT_EQ(broker_.Reply("e1", TextReply("x")).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(answers_.empty());
}

}  // namespace
}  // namespace wxgate
