#include "service/events/event_batch_wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/events/stream_event_wire.h"

namespace wxgate {
namespace {

StreamEvent TextOfSize(size_t content_size, uint64_t cursor) {
  wechat::mp::v1::Event event;
  event.set_appid("wx1");
  event.set_cursor(cursor);
  event.mutable_text()->set_content(std::string(content_size, 'x'));
  return StreamEventOf(std::move(event));
}

TEST(EventBatchWireTest, TheEntriesOfSharedBytesParseAsABatchOfThoseEvents) {
  // Lengths that take one, two and three varint bytes.
  const std::vector<StreamEventPtr> events = {ShareStreamEvent(TextOfSize(10, 1)),
                                              ShareStreamEvent(TextOfSize(300, 2)),
                                              ShareStreamEvent(TextOfSize(20000, 3))};
  std::string batch;
  size_t expected_size = 0;
  for (const StreamEventPtr& event : events) {
    const WireBytes bytes = WireBytesOf(event, /*include_raw_xml=*/false);
    expected_size += BatchEntrySize(bytes->size());
    AppendBatchEntry(*bytes, batch);
  }
  EXPECT_EQ(batch.size(), expected_size);
  v1::SubscribeBatchedResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(batch));
  ASSERT_EQ(parsed.events_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(parsed.events(i).SerializeAsString(), events[i]->SerializeAsString()) << i;
  }
  // And what a batch of them serializes to, byte for byte.
  EXPECT_EQ(parsed.SerializeAsString(), batch);
}

TEST(EventBatchWireTest, AnEmptyEventIsStillAnEntry) {
  EXPECT_EQ(BatchEntrySize(0), 2u);
  std::string batch;
  AppendBatchEntry("", batch);
  v1::SubscribeBatchedResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(batch));
  EXPECT_EQ(parsed.events_size(), 1);  // one empty SubscribeResponse
}

}  // namespace
}  // namespace wxgate
