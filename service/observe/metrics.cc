#include "service/observe/metrics.h"

#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace wxgate {
namespace {

// Upper bounds of the latency histograms, in seconds (WeChat answers in tens to
// hundreds of milliseconds; the upstream timeout is 5 s by default).
constexpr std::array<double, 11> kSecondsBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                    0.5,   1,    2.5,   5,    10};

// A label value as the text format wants it: backslash, quote and newline escaped.
std::string Escaped(const std::string& value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

// {a="x",b="y"} (with `extra` last, e.g. le="0.5"), or "" without labels. An empty
// value is left out, as Prometheus reads it the same as a missing label.
std::string LabelSet(const MetricDefinition& definition, const std::vector<std::string>& values,
                     const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < definition.labels.size() && i < values.size(); ++i) {
    if (values[i].empty()) continue;
    absl::StrAppend(&out, out.empty() ? "" : ",", definition.labels[i], "=\"", Escaped(values[i]),
                    "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return absl::StrCat(value);
}

}  // namespace

const std::vector<MetricDefinition>& MetricDefinitions() {
  static const std::vector<MetricDefinition> definitions = {
      {Metric::kBuildInfo,
       "wxgate_build_info",
       "gauge",
       "Always 1; the version of the running gateway.",
       {"version"}},
      {Metric::kGrpcCalls,
       "wxgate_grpc_calls_total",
       "counter",
       "gRPC calls answered, by method and status code.",
       {"method", "code"}},
      {Metric::kGrpcCallSeconds,
       "wxgate_grpc_call_seconds",
       "histogram",
       "Time from a gRPC call's arrival to its status, by method.",
       {"method"}},
      {Metric::kUpstreamCalls,
       "wxgate_upstream_calls_total",
       "counter",
       "HTTPS requests to WeChat, by endpoint path (\"raw\" for RawService) and errcode "
       "(0: success; none: no WeChat answer, e.g. a timeout or an HTTP error).",
       {"endpoint", "errcode"}},
      {Metric::kUpstreamCallSeconds,
       "wxgate_upstream_call_seconds",
       "histogram",
       "Time from sending a request to WeChat to its answer, by endpoint.",
       {"endpoint"}},
      {Metric::kDomainSwitches,
       "wxgate_upstream_domain_switches_total",
       "counter",
       "Moves of every later call from one of WeChat's API domains to another "
       "(upstream.base_url, upstream.fallback_base_urls): away from a failing domain, or "
       "back to base_url once a probe found it healthy.",
       {"from", "to"}},
      {Metric::kPushes,
       "wxgate_pushes_total",
       "counter",
       "Pushes from WeChat, by appid, kind (the Event payload's field name, e.g. text or "
       "subscribe; undecoded for a push refused before it was read) and result (accepted, "
       "duplicate, refused, not_kept); refusals by reason (signature, stale, malformed).",
       {"appid", "kind", "result", "reason"}},
      {Metric::kPushReplies,
       "wxgate_push_replies_total",
       "counter",
       "Pushes that waited for a passive reply, by how the wait ended: replied, declined "
       "(a Reply without a reply), expired (the reply window passed), no_replier (no "
       "subscriber asked for replies).",
       {"appid", "outcome"}},
      {Metric::kPushReplyWaitSeconds,
       "wxgate_push_reply_wait_seconds",
       "histogram",
       "Time a push waited for its passive reply, whatever the outcome.",
       {"appid"}},
      {Metric::kSubscribers,
       "wxgate_subscribers",
       "gauge",
       "Live Subscribe streams on this replica.",
       {}},
      {Metric::kSubscriberLag,
       "wxgate_subscriber_lag_events",
       "gauge",
       "Events stored but not yet taken by the caller's furthest-behind Subscribe stream on "
       "this replica (a broadcast stream is ended past events.max_lag).",
       {"caller"}},
      {Metric::kSubscriptionsEnded,
       "wxgate_subscriptions_ended_total",
       "counter",
       "Subscribe streams the gateway ended, by reason: too_slow (fell max_lag behind), "
       "not_retained, draining, cancelled (the client left), broken (a write failed), "
       "other.",
       {"reason"}},
      {Metric::kCallerRefusals,
       "wxgate_caller_refusals_total",
       "counter",
       "gRPC calls refused before any work, by caller (a configured name; unknown when "
       "the call named no caller) and reason (unauthenticated, not_allowed, rate_limited, "
       "too_many_subscriptions).",
       {"caller", "reason"}},
      {Metric::kTokenExpiry,
       "wxgate_token_expiry_seconds",
       "gauge",
       "Seconds until the held token or ticket expires (negative: none held), by appid and "
       "kind; an authorizer's under its component (the first 100 authorizers of each).",
       {"component", "appid", "kind"}},
      {Metric::kTokenFetches,
       "wxgate_token_fetches_total",
       "counter",
       "Tokens and tickets this replica fetched from WeChat, by appid and kind; an "
       "authorizer's under its component, past the first 100 summed as appid \"other\".",
       {"component", "appid", "kind"}},
      {Metric::kTokenFetchFailures,
       "wxgate_token_fetch_failures_total",
       "counter",
       "Fetches of tokens and tickets from WeChat that failed, labelled as "
       "wxgate_token_fetches_total.",
       {"component", "appid", "kind"}},
      {Metric::kAuthorizers,
       "wxgate_authorizers",
       "gauge",
       "Accounts this replica tracks as authorizers of the third-party platform.",
       {"component"}},
      {Metric::kForceRefreshLeft,
       "wxgate_force_refresh_left",
       "gauge",
       "stable_token force_refresh calls left today for the appid.",
       {"appid"}},
      {Metric::kProcessCpuSeconds,
       "process_cpu_seconds_total",
       "counter",
       "CPU time the gateway process used, user and system.",
       {}},
      {Metric::kProcessResidentBytes,
       "process_resident_memory_bytes",
       "gauge",
       "Resident memory of the gateway process.",
       {}},
      {Metric::kProcessVirtualBytes,
       "process_virtual_memory_bytes",
       "gauge",
       "Virtual memory of the gateway process.",
       {}},
      {Metric::kProcessOpenFds, "process_open_fds", "gauge", "Open file descriptors.", {}},
      {Metric::kProcessMaxFds,
       "process_max_fds",
       "gauge",
       "The process's limit on open file descriptors.",
       {}},
      {Metric::kProcessStartTime,
       "process_start_time_seconds",
       "gauge",
       "When the process started, in Unix seconds.",
       {}},
      {Metric::kProcessThreads, "process_threads", "gauge", "Threads of the process.", {}},
  };
  return definitions;
}

const MetricDefinition& DefinitionOf(Metric metric) {
  return MetricDefinitions()[static_cast<size_t>(metric)];
}

std::string MetricTableMarkdown() {
  std::string out = "| metric | type | labels | meaning |\n|---|---|---|---|\n";
  for (const MetricDefinition& definition : MetricDefinitions()) {
    std::string labels;
    for (const char* label : definition.labels) {
      absl::StrAppend(&labels, labels.empty() ? "" : ", ", "`", label, "`");
    }
    absl::StrAppend(&out, "| `", definition.name, "` | ", definition.type, " | ", labels, " | ",
                    definition.help, " |\n");
  }
  return out;
}

Metrics& GlobalMetrics() {
  static Metrics* metrics = new Metrics();
  return *metrics;
}

void Metrics::Count(Metric metric, const std::vector<std::string>& labels, double n) {
  absl::MutexLock lock(&mu_);
  counters_[metric][labels] += n;
}

void Metrics::Observe(Metric metric, const std::vector<std::string>& labels, double value) {
  absl::MutexLock lock(&mu_);
  Histogram& histogram = histograms_[metric][labels];
  if (histogram.buckets.empty()) histogram.buckets.resize(kSecondsBuckets.size());
  for (size_t i = 0; i < kSecondsBuckets.size(); ++i) {
    if (value <= kSecondsBuckets[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += value;
}

std::string Metrics::Exposition(const std::vector<Sample>& read) const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const MetricDefinition& definition : MetricDefinitions()) {
    absl::StrAppend(&out, "# HELP ", definition.name, " ", definition.help, "\n# TYPE ",
                    definition.name, " ", definition.type, "\n");
    if (auto series = counters_.find(definition.metric); series != counters_.end()) {
      for (const auto& [labels, value] : series->second) {
        absl::StrAppend(&out, definition.name, LabelSet(definition, labels), " ", Number(value),
                        "\n");
      }
    }
    for (const Sample& sample : read) {
      if (sample.metric != definition.metric) continue;
      absl::StrAppend(&out, definition.name, LabelSet(definition, sample.labels), " ",
                      Number(sample.value), "\n");
    }
    auto histograms = histograms_.find(definition.metric);
    if (histograms == histograms_.end()) continue;
    for (const auto& [labels, histogram] : histograms->second) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kSecondsBuckets.size(); ++i) {
        cumulative += histogram.buckets[i];
        absl::StrAppend(
            &out, definition.name, "_bucket",
            LabelSet(definition, labels, absl::StrCat("le=\"", Number(kSecondsBuckets[i]), "\"")),
            " ", cumulative, "\n");
      }
      absl::StrAppend(&out, definition.name, "_bucket", LabelSet(definition, labels, "le=\"+Inf\""),
                      " ", histogram.count, "\n", definition.name, "_sum",
                      LabelSet(definition, labels), " ", Number(histogram.sum), "\n",
                      definition.name, "_count", LabelSet(definition, labels), " ", histogram.count,
                      "\n");
    }
  }
  return out;
}

}  // namespace wxgate
