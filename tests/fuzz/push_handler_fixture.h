// The push handler as the fuzz targets over the callback port drive it: a plain-mode
// and a safe-mode account with known secrets, the gateway's dedup window and a clock
// that stands still at the pushes' timestamp (1), so that every signed input is fresh.
//
//   static PushHandlerFixture* fixture = new PushHandlerFixture;  // once per process
//   fixture->handler->Handle({"POST", target, body}, [](CallbackAnswer) {});
#ifndef WXGATE_TESTS_FUZZ_PUSH_HANDLER_FIXTURE_H_
#define WXGATE_TESTS_FUZZ_PUSH_HANDLER_FIXTURE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/callback/push_handler.h"
#include "service/events/memory_event_store.h"
#include "service/observe/log.h"

namespace wxgate::fuzz {

inline constexpr char kToken[] = "fuzz-token";
inline constexpr char kKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
inline constexpr char kPlain[] = "wx00000000000000aa";
inline constexpr char kSafe[] = "wx00000000000000bb";

struct PushHandlerFixture {
  PushHandlerFixture() {
    SetLogSink([](const std::string&) {});  // refusals are the norm here
    std::vector<CallbackAccount> accounts;
    accounts.push_back({.appid = kPlain, .token = kToken});
    accounts.push_back({.appid = kSafe,
                        .token = kToken,
                        .mode = config::v1::CALLBACK_MODE_SAFE,
                        .cipher = *MessageCipher::Create(kKey, kSafe)});
    handler.emplace(std::move(accounts), sink, broker, PushFreshness({}),
                    PushHandler::ReplyDeadlines{
                        .schedule = [](absl::Duration,
                                       std::function<void()>) { return DelayedTasks::TaskId(); },
                        .cancel = [](const DelayedTasks::TaskId&) {}},
                    [] { return absl::FromUnixSeconds(1); });
  }

  EventHub hub{std::make_unique<MemoryEventStore>(MemoryEventStore::Limits{.max_events = 16}, 1),
               EventHub::Options{}};
  // As the gateway has it: a window that closes replays. On a clock that stands still
  // only the entry bound keeps its memory flat.
  PushDedup dedup{PushFreshness({}).MinDedupWindow(), [] { return absl::FromUnixSeconds(1); }};
  LocalPushSink sink{hub, dedup};
  ReplyBroker broker;
  std::optional<PushHandler> handler;
};

}  // namespace wxgate::fuzz

#endif  // WXGATE_TESTS_FUZZ_PUSH_HANDLER_FIXTURE_H_
