#include "service/observe/log_line.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

std::string TimeOf(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

// The length of the well-formed UTF-8 sequence of 2 to 4 bytes at the start of
// `s`, or 0 (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(absl::string_view s) {
  const auto byte = [&s](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const uint8_t lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

std::string TextLine(absl::Time time, LogLevel level, absl::string_view event,
                     absl::Span<const LogField> fields) {
  std::string line = absl::StrCat(TimeOf(time), " ", LogLevelName(level), " ", event);
  for (const auto& [key, value] : fields) {
    const bool quote = value.empty() || value.find_first_of(" \"=") != absl::string_view::npos;
    absl::StrAppend(&line, " ", key, "=", quote ? "\"" : "", value, quote ? "\"" : "");
  }
  return line;
}

std::string JsonLine(absl::Time time, LogLevel level, absl::string_view event,
                     absl::Span<const LogField> fields) {
  std::string line = "{\"time\":\"";
  absl::StrAppend(&line, TimeOf(time), "\",\"level\":\"", LogLevelName(level), "\",\"event\":");
  AppendJsonString(&line, event);
  for (const auto& [key, value] : fields) {
    line += ',';
    AppendJsonString(&line, key);
    line += ':';
    AppendJsonString(&line, value);
  }
  line += '}';
  return line;
}

void AppendJsonString(std::string* out, absl::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + value.size() + 2);
  out->push_back('"');
  for (size_t i = 0; i < value.size();) {
    const uint8_t c = static_cast<uint8_t>(value[i]);
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(value.substr(i));
      if (length == 0) {
        out->append("\\ufffd");  // one replacement per byte that is not UTF-8
        ++i;
      } else {
        out->append(value.data() + i, length);
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {  // DEL too: it is a control character on a terminal
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace wxgate
