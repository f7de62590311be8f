#include "service/observe/log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wxgate {
namespace {

absl::Mutex sink_mu(absl::kConstInit);
LogSink* sink ABSL_GUARDED_BY(sink_mu) = nullptr;

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields) {
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   LevelName(level), " ", event);
  for (const auto& [key, value] : fields) {
    const bool quote = value.empty() || value.find_first_of(" \"=") != absl::string_view::npos;
    absl::StrAppend(&line, " ", key, "=", quote ? "\"" : "", value, quote ? "\"" : "");
  }
  absl::MutexLock lock(&sink_mu);
  if (sink != nullptr) {
    (*sink)(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

LogSink SetLogSink(LogSink new_sink) {
  absl::MutexLock lock(&sink_mu);
  LogSink old = sink ? std::move(*sink) : LogSink();
  delete sink;
  sink = new_sink ? new LogSink(std::move(new_sink)) : nullptr;
  return old;
}

}  // namespace wxgate
