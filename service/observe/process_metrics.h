// The process_* metrics every Prometheus client library exports (CPU, memory, file
// descriptors, threads, start time), read from /proc at scrape time. Fields that
// cannot be read are left out rather than reported as zero.
#ifndef WXGATE_SERVICE_OBSERVE_PROCESS_METRICS_H_
#define WXGATE_SERVICE_OBSERVE_PROCESS_METRICS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/observe/metrics.h"

namespace wxgate {

// This process's samples.
std::vector<Sample> ReadProcessMetrics();

// The samples /proc/<pid>/stat's text gives, with the system's boot time (Unix
// seconds), clock ticks per second and page size. Exposed for tests.
std::vector<Sample> ProcessStatSamples(absl::string_view stat, double boot_time,
                                       double ticks_per_second, double page_size);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_PROCESS_METRICS_H_
