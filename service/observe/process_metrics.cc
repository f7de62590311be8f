#include "service/observe/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace wxgate {
namespace {

std::string ReadWhole(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "btime N" of /proc/stat: when the system booted, in Unix seconds; 0 if unknown.
double BootTime() {
  for (absl::string_view line : absl::StrSplit(ReadWhole("/proc/stat"), '\n')) {
    double seconds;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, &seconds)) return seconds;
  }
  return 0;
}

}  // namespace

std::vector<Sample> ProcessStatSamples(absl::string_view stat, double boot_time,
                                       double ticks_per_second, double page_size) {
  // The command name, in parentheses, may hold spaces and parentheses: the fields
  // that follow start after the last ')'. They are numbered from 3 (state) in proc(5).
  const size_t name_end = stat.rfind(')');
  if (name_end == absl::string_view::npos) return {};
  const std::vector<absl::string_view> fields =
      absl::StrSplit(stat.substr(name_end + 1), ' ', absl::SkipEmpty());
  auto field = [&fields](size_t number, double& value) {
    return number - 3 < fields.size() && absl::SimpleAtod(fields[number - 3], &value);
  };
  std::vector<Sample> samples;
  double utime, stime, threads, start_ticks, vsize, rss_pages;
  if (field(14, utime) && field(15, stime)) {
    samples.push_back({Metric::kProcessCpuSeconds, {}, (utime + stime) / ticks_per_second});
  }
  if (field(20, threads)) samples.push_back({Metric::kProcessThreads, {}, threads});
  if (boot_time > 0 && field(22, start_ticks)) {
    samples.push_back({Metric::kProcessStartTime, {}, boot_time + start_ticks / ticks_per_second});
  }
  if (field(23, vsize)) samples.push_back({Metric::kProcessVirtualBytes, {}, vsize});
  if (field(24, rss_pages)) {
    samples.push_back({Metric::kProcessResidentBytes, {}, rss_pages * page_size});
  }
  return samples;
}

std::vector<Sample> ReadProcessMetrics() {
  std::vector<Sample> samples = ProcessStatSamples(ReadWhole("/proc/self/stat"), BootTime(),
                                                   static_cast<double>(sysconf(_SC_CLK_TCK)),
                                                   static_cast<double>(sysconf(_SC_PAGESIZE)));
  std::error_code error;
  size_t open_fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++open_fds;
  }
  if (!error) samples.push_back({Metric::kProcessOpenFds, {}, static_cast<double>(open_fds)});
  if (rlimit limit; getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    samples.push_back({Metric::kProcessMaxFds, {}, static_cast<double>(limit.rlim_cur)});
  }
  return samples;
}

}  // namespace wxgate
