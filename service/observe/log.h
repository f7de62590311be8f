// Log: one line per event, in the form and from the level the configuration sets
// (config `log`; text and info by default):
//
//   Log(LogLevel::kInfo, "token_fetched", {{"appid", appid}, {"expires_in_s", "7200"}});
//     text: 2026-11-23T10:00:00.123Z INFO token_fetched appid=wx… expires_in_s=7200
//     json: {"time":"2026-11-23T10:00:00.123Z","level":"INFO","event":"token_fetched",…}
//
// A line below the level is dropped before anything is formatted; a caller that
// must build costly values first asks LogEnabled. Callers pass only values that are
// safe to show: never a token, a secret, an API key, an openid, message content or
// a query string. Field keys are never `time`, `level` or `event`, which every
// JSON line has already (a push's WeChat Event is `wechat_event`). Lines go to
// stderr unless a sink is installed (tests capture them). Thread-safe.
#ifndef WXGATE_SERVICE_OBSERVE_LOG_H_
#define WXGATE_SERVICE_OBSERVE_LOG_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/observe/log_line.h"

namespace wxgate {

enum class LogFormat { kText, kJson };

void Log(LogLevel level, absl::string_view event, absl::Span<const LogField> fields = {});

// Whether a line of `level` would be written.
bool LogEnabled(LogLevel level);

// Lines below `level` are dropped from now on (default kInfo).
void SetLogLevel(LogLevel level);
// Lines are written in `format` from now on (default kText).
void SetLogFormat(LogFormat format);

// Replaces where lines go; an empty function restores stderr. Returns the old sink.
using LogSink = std::function<void(const std::string& line)>;
LogSink SetLogSink(LogSink sink);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_LOG_H_
