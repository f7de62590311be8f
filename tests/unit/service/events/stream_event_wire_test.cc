#include "service/events/stream_event_wire.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace wxgate {
namespace {

constexpr char kXml[] = "<xml><MsgType><![CDATA[text]]></MsgType></xml>";

StreamEvent TextPush() {
  wechat::mp::v1::Event event;
  event.set_appid("wx1");
  event.set_id("e1");
  event.set_cursor(7);
  event.set_raw_xml(kXml);
  event.mutable_text()->set_content("hello");
  return StreamEventOf(std::move(event));
}

StreamEvent ComponentPush() {
  wechat::open::v1::ComponentEvent event;
  event.set_component_appid("wxc");
  event.set_id("c1");
  event.set_raw_xml(kXml);
  return StreamEventOf(std::move(event));
}

StreamEvent Parsed(const WireBytes& bytes) {
  StreamEvent event;
  EXPECT_TRUE(event.ParseFromString(*bytes));
  return event;
}

TEST(StreamEventWireTest, LeavesRawXmlOutUnlessAsked) {
  const StreamEventPtr event = ShareStreamEvent(TextPush());
  const StreamEvent without = Parsed(WireBytesOf(event, /*include_raw_xml=*/false));
  EXPECT_EQ(without.event().raw_xml(), "");
  EXPECT_EQ(without.event().text().content(), "hello");
  EXPECT_EQ(without.event().cursor(), 7u);
  EXPECT_EQ(Parsed(WireBytesOf(event, /*include_raw_xml=*/true)).event().raw_xml(), kXml);
  // The stored event itself is untouched.
  EXPECT_EQ(event->event().raw_xml(), kXml);
}

TEST(StreamEventWireTest, SerializesEachFormOnce) {
  const StreamEventPtr event = ShareStreamEvent(TextPush());
  const WireBytes without = WireBytesOf(event, false);
  const WireBytes with = WireBytesOf(event, true);
  EXPECT_NE(without, with);
  EXPECT_EQ(WireBytesOf(event, false), without);  // the same bytes, shared
  EXPECT_EQ(WireBytesOf(event, true), with);
  // A copy of the pointer, or an alias into it, finds the same bytes.
  const StreamEventPtr copy = event;
  EXPECT_EQ(WireBytesOf(copy, false), without);
}

TEST(StreamEventWireTest, OneFormWhenThereIsNoRawXml) {
  StreamEvent push = TextPush();
  push.mutable_event()->clear_raw_xml();
  const StreamEventPtr event = ShareStreamEvent(std::move(push));
  EXPECT_EQ(WireBytesOf(event, false), WireBytesOf(event, true));
}

TEST(StreamEventWireTest, SendsRawXmlAlwaysForUnknownOrUntypedPushes) {
  StreamEvent unknown = TextPush();
  unknown.mutable_event()->mutable_unknown();
  StreamEvent untyped = TextPush();
  untyped.mutable_event()->add_untyped("CreateTime=abc");
  StreamEvent component_unknown = ComponentPush();
  component_unknown.mutable_component_event()->mutable_unknown();
  StreamEvent component_untyped = ComponentPush();
  component_untyped.mutable_component_event()->add_untyped("Foo=bar");
  for (StreamEvent& push : {std::ref(unknown), std::ref(untyped), std::ref(component_unknown),
                            std::ref(component_untyped)}) {
    EXPECT_TRUE(RawXmlAlwaysSent(push));
    const StreamEvent sent = Parsed(WireBytesOf(ShareStreamEvent(push), false));
    EXPECT_EQ(
        sent.has_component_event() ? sent.component_event().raw_xml() : sent.event().raw_xml(),
        kXml);
  }
  EXPECT_FALSE(RawXmlAlwaysSent(TextPush()));
  EXPECT_FALSE(RawXmlAlwaysSent(ComponentPush()));
}

TEST(StreamEventWireTest, ComponentPushWithoutRawXml) {
  const StreamEventPtr event = ShareStreamEvent(ComponentPush());
  const StreamEvent without = Parsed(WireBytesOf(event, false));
  EXPECT_EQ(without.component_event().raw_xml(), "");
  EXPECT_EQ(without.component_event().component_appid(), "wxc");
  EXPECT_EQ(Parsed(WireBytesOf(event, true)).component_event().raw_xml(), kXml);
}

// A store bounded by bytes counts the wire bytes an event will carry before they
// are made: its charge covers the event and both forms.
TEST(StreamEventWireTest, RetainedBytesCoverTheEventAndBothWireForms) {
  StreamEvent push = TextPush();
  push.mutable_event()->set_raw_xml(std::string(4096, 'x'));
  const size_t charged = RetainedBytesOf(push);
  const StreamEventPtr event = ShareStreamEvent(std::move(push));
  const size_t wire = WireBytesOf(event, /*include_raw_xml=*/true)->size() +
                      WireBytesOf(event, /*include_raw_xml=*/false)->size();
  EXPECT_GE(charged, event->SpaceUsedLong() + wire);
}

TEST(StreamEventWireTest, SerializesEventsNotSharedHereOnEachCall) {
  const auto event = std::make_shared<const StreamEvent>(TextPush());
  const WireBytes first = WireBytesOf(event, false);
  EXPECT_NE(WireBytesOf(event, false), first);
  EXPECT_EQ(*WireBytesOf(event, false), *first);
  EXPECT_EQ(Parsed(first).event().raw_xml(), "");
}

TEST(StreamEventWireTest, ManyReadersAtOnceGetOneSerialization) {
  const StreamEventPtr event = ShareStreamEvent(TextPush());
  std::vector<WireBytes> seen(8);
  std::vector<std::thread> readers;
  for (size_t i = 0; i < seen.size(); ++i) {
    readers.emplace_back([&, i] { seen[i] = WireBytesOf(event, false); });
  }
  for (std::thread& reader : readers) reader.join();
  for (const WireBytes& bytes : seen) EXPECT_EQ(bytes, seen[0]);
}

}  // namespace
}  // namespace wxgate
