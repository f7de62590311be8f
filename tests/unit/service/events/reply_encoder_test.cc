#include "service/events/reply_encoder.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "service/events/xml_codec.h"
#include "tests/testing/pushes.h"
#include "tests/testing/xml_leaves.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {
namespace {

using testing::XmlLeaves;
using wechat::mp::v1::Event;
using wechat::mp::v1::Reply;

// Every sample reply (tests/fake_wechat/replies/<member>.xml, as WeChat documents
// them) is what EncodeReply writes for the same values.
TEST(ReplyEncoderTest, WritesEverySampleReplyAsWeChatDocumentsIt) {
  int samples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(WXGATE_REPLY_SAMPLES_DIR)) {
    const std::string member_name = entry.path().stem();
    SCOPED_TRACE(member_name);
    const std::string xml = testing::ReadTextFile(entry.path());
    pugi::xml_document document;
    ASSERT_TRUE(ParseUntrustedXml(xml, document).ok());
    const pugi::xml_node root = document.document_element();

    // The push this answers, and the reply's values, taken from the sample.
    Event push;
    push.set_from_user_name(root.child("ToUserName").text().get());
    push.set_to_user_name(root.child("FromUserName").text().get());
    int64_t create_time = 0;
    ASSERT_TRUE(absl::SimpleAtoi(root.child("CreateTime").text().get(), &create_time));
    Reply reply;
    const auto* member = Reply::descriptor()->FindFieldByName(member_name);
    ASSERT_NE(member, nullptr);
    const std::string& wrapper = member->options().GetExtension(wxgate::xml_name);
    ReadXmlFields(wrapper.empty() ? root : root.child(wrapper.c_str()),
                  *reply.GetReflection()->MutableMessage(&reply, member));

    absl::StatusOr<std::string> encoded = EncodeReply(reply, push, create_time);
    ASSERT_TRUE(encoded.ok()) << encoded.status();
    EXPECT_EQ(XmlLeaves(*encoded), XmlLeaves(xml));
    ++samples;
  }
  EXPECT_EQ(samples, Reply::descriptor()->field_count());
}

TEST(ReplyEncoderTest, NewsCarriesExactlyOneArticle) {
  Reply reply;
  reply.mutable_news();
  Event push;
  EXPECT_EQ(EncodeReply(reply, push, 1).status().code(), absl::StatusCode::kInvalidArgument);
  reply.mutable_news()->add_articles()->set_title("one");
  EXPECT_TRUE(EncodeReply(reply, push, 1).ok());
  reply.mutable_news()->add_articles()->set_title("two");
  absl::Status status = EncodeReply(reply, push, 1).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("KfService"), absl::string_view::npos);
}

TEST(ReplyEncoderTest, RefusesAReplyWithNothingInIt) {
  Event push;
  EXPECT_EQ(EncodeReply(Reply(), push, 1).status().code(), absl::StatusCode::kInvalidArgument);
  Reply empty_text;
  empty_text.mutable_text();
  EXPECT_EQ(EncodeReply(empty_text, push, 1).status().code(), absl::StatusCode::kInvalidArgument);
  // Transferring to customer service needs no field.
  Reply transfer;
  transfer.mutable_transfer_customer_service();
  EXPECT_TRUE(EncodeReply(transfer, push, 1).ok());
}

}  // namespace
}  // namespace wxgate
