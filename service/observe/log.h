// Log: one line per event, "2026-11-23T10:00:00.123Z INFO token_fetched appid=wx… kind=…".
//
//   Log(LogLevel::kInfo, "token_fetched", {{"appid", appid}, {"expires_in_s", "7200"}});
//
// Callers pass only values that are safe to show: never a token, a secret or a
// query string. Lines go to stderr unless a sink is installed (tests capture them).
#ifndef WXGATE_SERVICE_OBSERVE_LOG_H_
#define WXGATE_SERVICE_OBSERVE_LOG_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace wxgate {

enum class LogLevel { kInfo, kWarning, kError };

using LogField = std::pair<absl::string_view, absl::string_view>;

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields = {});

// Replaces where lines go; an empty function restores stderr. Returns the old sink.
using LogSink = std::function<void(const std::string& line)>;
LogSink SetLogSink(LogSink sink);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_LOG_H_
