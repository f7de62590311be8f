#include "service/events/xml_codec.h"

#include <gtest/gtest.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "wechat/mp/v1/events.pb.h"
#include "wechat/mp/v1/replies.pb.h"

namespace wxgate {
namespace {

using wechat::mp::v1::Event;

pugi::xml_node Root(pugi::xml_document& document, const std::string& xml) {
  EXPECT_TRUE(ParseUntrustedXml(xml, document).ok());
  return document.document_element();
}

TEST(XmlElementNameTest, IsUpperCamelCaseUnlessAnnotated) {
  const auto* text = wechat::mp::v1::TextMessage::descriptor();
  EXPECT_EQ(XmlElementName(*text->FindFieldByName("msg_id")), "MsgId");
  EXPECT_EQ(XmlElementName(*text->FindFieldByName("msg_data_id")), "MsgDataId");
  EXPECT_EQ(XmlElementName(*text->FindFieldByName("bizmsgmenuid")), "bizmsgmenuid");
}

TEST(ParseUntrustedXmlTest, RefusesADoctypeSoNoEntityIsEverDeclared) {
  pugi::xml_document document;
  const std::string billion_laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
      "<xml><Content>&lol2;</Content></xml>";
  absl::Status status = ParseUntrustedXml(billion_laughs, document);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string external =
      "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><C>&xxe;</C></xml>";
  EXPECT_EQ(ParseUntrustedXml(external, document).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseUntrustedXmlTest, RefusesWhatDoesNotParseAndSaysWhere) {
  pugi::xml_document document;
  for (const char* bad : {"", "not xml", "<xml><a></xml>", "<xml>", "<!-- only a comment -->"}) {
    absl::Status status = ParseUntrustedXml(bad, document);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseUntrustedXml("<xml><a></xml>", document).message().find("byte"),
            absl::string_view::npos);
}

TEST(ParseUntrustedXmlTest, ExpandsOnlyThePredefinedEntities) {
  pugi::xml_document document;
  pugi::xml_node root = Root(document, "<xml><C>a &amp; b &lt;c&gt; &#20320;</C></xml>");
  EXPECT_STREQ(root.child("C").text().get(), "a & b <c> 你");
}

TEST(ReadXmlFieldsTest, ReadsNestedMessagesAndWrappedLists) {
  pugi::xml_document document;
  pugi::xml_node root =
      Root(document,
           "<xml><EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>2</Count>"
           "<PicList><item><PicMd5Sum>aa</PicMd5Sum></item>"
           "<item><PicMd5Sum>bb</PicMd5Sum></item></PicList></SendPicsInfo></xml>");
  wechat::mp::v1::PicEvent event;
  EXPECT_TRUE(ReadXmlFields(root, event).empty());
  EXPECT_EQ(event.event_key(), "6");
  EXPECT_EQ(event.send_pics_info().count(), 2);
  ASSERT_EQ(event.send_pics_info().pic_list_size(), 2);
  EXPECT_EQ(event.send_pics_info().pic_list(1).pic_md5_sum(), "bb");
}

TEST(ReadXmlFieldsTest, ListsWhatItCannotPlace) {
  pugi::xml_document document;
  pugi::xml_node root = Root(document,
                             "<xml><MsgId>not-a-number</MsgId><Content>hi</Content>"
                             "<NewThing>x</NewThing><Idx> 3 </Idx></xml>");
  wechat::mp::v1::TextMessage text;
  std::vector<std::string> unplaced = ReadXmlFields(root, text);
  EXPECT_EQ(unplaced, (std::vector<std::string>{"MsgId=not-a-number", "NewThing"}));
  EXPECT_EQ(text.content(), "hi");
  EXPECT_EQ(text.idx(), 3);  // whitespace around numbers is fine
  EXPECT_EQ(text.msg_id(), 0);
}

TEST(ReadXmlFieldsTest, ReadsNumbersBeyondThirtyTwoBits) {
  pugi::xml_document document;
  pugi::xml_node root = Root(document, "<xml><MsgId>22283948117418048</MsgId></xml>");
  wechat::mp::v1::TextMessage text;
  EXPECT_TRUE(ReadXmlFields(root, text).empty());
  EXPECT_EQ(text.msg_id(), 22283948117418048);
}

// (wxgate.xml_alias) names more elements a field is read from; written, the field
// takes its own name.
TEST(ReadXmlFieldsTest, ReadsAFieldFromItsAliasesAndWritesItsOwnName) {
  for (const char* element : {"ShopId", "PlaceId"}) {
    SCOPED_TRACE(element);
    pugi::xml_document document;
    const pugi::xml_node root =
        Root(document, absl::StrCat("<xml><", element, ">429620</", element, "></xml>"));
    wechat::mp::v1::WifiConnectedEvent event;
    EXPECT_TRUE(ReadXmlFields(root, event).empty());
    EXPECT_EQ(event.shop_id(), 429620);

    pugi::xml_document written;
    pugi::xml_node out = written.append_child("xml");
    WriteXmlFields(event, out);
    EXPECT_EQ(std::string(out.first_child().name()), "ShopId");
  }
  // An element that is neither the name nor an alias is still left over.
  pugi::xml_document document;
  wechat::mp::v1::WifiConnectedEvent event;
  EXPECT_EQ(ReadXmlFields(Root(document, "<xml><Placeid>1</Placeid></xml>"), event),
            std::vector<std::string>{"Placeid"});
}

TEST(WriteXmlFieldsTest, WritesStringsAsCdataAndSplitsTheirTerminator) {
  wechat::mp::v1::TextReply reply;
  reply.set_content("a ]]> b <c>");
  pugi::xml_document document;
  pugi::xml_node root = document.append_child("xml");
  WriteXmlFields(reply, root);
  std::ostringstream out;
  document.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  // Read back, the text is whole again.
  pugi::xml_document again;
  ASSERT_TRUE(ParseUntrustedXml(out.str(), again).ok());
  EXPECT_EQ(XmlText(again.document_element().child("Content")), "a ]]> b <c>");
}

TEST(WriteXmlFieldsTest, RoundTripsThroughReadXmlFields) {
  wechat::mp::v1::PicEvent event;
  event.set_event_key("k");
  event.mutable_send_pics_info()->set_count(2);
  event.mutable_send_pics_info()->add_pic_list()->set_pic_md5_sum("aa");
  event.mutable_send_pics_info()->add_pic_list()->set_pic_md5_sum("bb");
  pugi::xml_document document;
  pugi::xml_node root = document.append_child("xml");
  WriteXmlFields(event, root);
  wechat::mp::v1::PicEvent read;
  EXPECT_TRUE(ReadXmlFields(root, read).empty());
  EXPECT_EQ(read.SerializeAsString(), event.SerializeAsString());
}

}  // namespace
}  // namespace wxgate
