// The two shapes of a log line, as pure functions of what the line says:
//
//   TextLine(t, kInfo, "token_fetched", {{"appid", "wx1"}, {"kind", "access token"}})
//     -> 2026-11-23T10:00:00.123Z INFO token_fetched appid=wx1 kind="access token"
//   JsonLine(t, kInfo, "token_fetched", {{"appid", "wx1"}, {"kind", "access token"}})
//     -> {"time":"2026-11-23T10:00:00.123Z","level":"INFO","event":"token_fetched",
//         "appid":"wx1","kind":"access token"}                       (one line)
//
// JSON lines are valid JSON whatever the values hold: quotes, backslashes and
// control characters are escaped, and bytes that are not UTF-8 become U+FFFD, so a
// log shipper never drops a line. Log (log.h) decides whether a line is written.
#ifndef WXGATE_SERVICE_OBSERVE_LOG_LINE_H_
#define WXGATE_SERVICE_OBSERVE_LOG_LINE_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace wxgate {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

using LogField = std::pair<absl::string_view, absl::string_view>;

// "DEBUG", "INFO", "WARN", "ERROR".
absl::string_view LogLevelName(LogLevel level);

std::string TextLine(absl::Time time, LogLevel level, absl::string_view event,
                     absl::Span<const LogField> fields);
std::string JsonLine(absl::Time time, LogLevel level, absl::string_view event,
                     absl::Span<const LogField> fields);

// Appends `value` as a JSON string, quotes included.
void AppendJsonString(std::string* out, absl::string_view value);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_LOG_LINE_H_
