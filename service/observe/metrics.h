// The gateway's metrics, in Prometheus' text format. Every metric is declared once,
// in kMetricDefinitions (metrics.cc): its name, type, help and label names. Labels
// take bounded values only (method names, gRPC codes, configured appids, results;
// authorizers' appids only for the first few per platform: token_metrics.h), never
// a token, secret, openid or message content.
//
//   Metrics& metrics = GlobalMetrics();
//   metrics.Count(Metric::kPushes, {appid, "accepted"});
//   metrics.Observe(Metric::kGrpcCallSeconds, {method}, 0.012);
//   std::string page = metrics.Exposition(gauges);   // GET /metrics
//
// Gauges are not kept here: whoever serves the page reads them at scrape time and
// passes them in. Thread-safe.
#ifndef WXGATE_SERVICE_OBSERVE_METRICS_H_
#define WXGATE_SERVICE_OBSERVE_METRICS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace wxgate {

enum class Metric {
  kBuildInfo,             // gauge {version}
  kGrpcCalls,             // counter {method, code}
  kGrpcCallSeconds,       // histogram {method}
  kUpstreamCalls,         // counter {endpoint, errcode}
  kUpstreamCallSeconds,   // histogram {endpoint}
  kDomainSwitches,        // counter {from, to}: between WeChat's API domains
  kPushes,                // counter {appid, kind, result, reason}
  kPushReplies,           // counter {appid, outcome}
  kPushReplyWaitSeconds,  // histogram {appid}
  kSubscribers,           // gauge {}
  kSubscriberLag,         // gauge {caller}
  kSubscriptionsEnded,    // counter {reason}
  kCallerRefusals,        // counter {caller, reason}
  kTokenExpiry,           // gauge {component, appid, kind}: seconds until the held value expires
  kTokenFetches,          // counter {component, appid, kind}, read from the token manager
  kTokenFetchFailures,    // counter {component, appid, kind}, read from the token manager
  kAuthorizers,           // gauge {component}: authorizers this replica tracks
  kForceRefreshLeft,      // gauge {appid}
  kProcessCpuSeconds,     // counter {}, read from /proc at scrape time (process_metrics.h)
  kProcessResidentBytes,  // gauge {}
  kProcessVirtualBytes,   // gauge {}
  kProcessOpenFds,        // gauge {}
  kProcessMaxFds,         // gauge {}
  kProcessStartTime,      // gauge {}
  kProcessThreads,        // gauge {}
};

struct MetricDefinition {
  Metric metric;
  const char* name;
  const char* type;  // "counter", "gauge" or "histogram"
  const char* help;
  std::vector<const char*> labels;
};

// Every metric, in Metric's order: the one list (the README's is generated from it).
const std::vector<MetricDefinition>& MetricDefinitions();

// A value read at scrape time (gauges, and counters kept elsewhere).
struct Sample {
  Metric metric;
  std::vector<std::string> labels;  // values, in the definition's label order
  double value;
};

class Metrics {
 public:
  void Count(Metric metric, const std::vector<std::string>& labels, double n = 1);
  void Observe(Metric metric, const std::vector<std::string>& labels, double value);
  // Every metric with its HELP and TYPE lines, the kept ones and `read` together.
  std::string Exposition(const std::vector<Sample>& read) const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // counts per upper bound, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  using Series = std::map<std::vector<std::string>, double>;

  mutable absl::Mutex mu_;
  std::map<Metric, Series> counters_ ABSL_GUARDED_BY(mu_);
  std::map<Metric, std::map<std::vector<std::string>, Histogram>> histograms_ ABSL_GUARDED_BY(mu_);
};

// The process's metrics.
Metrics& GlobalMetrics();

// Every metric as a Markdown table (name, type, labels, help), for the README.
std::string MetricTableMarkdown();

// A metric's definition; its labels must number as many as `labels`.
const MetricDefinition& DefinitionOf(Metric metric);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_METRICS_H_
