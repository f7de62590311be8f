#include "service/observe/log.h"

#include <atomic>
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace wxgate {
namespace {

// Atomics, not the sink's mutex: every Log call reads them, most to drop the line.
std::atomic<LogLevel> min_level{LogLevel::kInfo};
std::atomic<LogFormat> format{LogFormat::kText};

absl::Mutex sink_mu(absl::kConstInit);
LogSink* sink ABSL_GUARDED_BY(sink_mu) = nullptr;

}  // namespace

bool LogEnabled(LogLevel level) { return level >= min_level.load(std::memory_order_relaxed); }

void SetLogLevel(LogLevel level) { min_level.store(level, std::memory_order_relaxed); }

void SetLogFormat(LogFormat new_format) { format.store(new_format, std::memory_order_relaxed); }

void Log(LogLevel level, absl::string_view event, absl::Span<const LogField> fields) {
  if (!LogEnabled(level)) return;
  const std::string line = format.load(std::memory_order_relaxed) == LogFormat::kJson
                               ? JsonLine(absl::Now(), level, event, fields)
                               : TextLine(absl::Now(), level, event, fields);
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
