#include "service/server/call_log.h"

#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "service/call/call_record.h"
#include "service/observe/log.h"
#include "service/observe/request_id.h"
#include "service/observe/trace_context.h"
#include "service/server/grpc_labels.h"

namespace wxgate {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The one value of a metadata key, or "" when it is absent or given twice (W3C:
// a repeated traceparent is invalid; a repeated id is not the caller's own).
absl::string_view OnlyValue(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                            absl::string_view key) {
  auto [first, last] = metadata.equal_range(grpc::string_ref(key.data(), key.size()));
  if (first == last || std::next(first) != last) return "";
  return absl::string_view(first->second.data(), first->second.size());
}

class CallLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CallLogInterceptor(grpc::experimental::ServerRpcInfo* info)
      : context_(info->server_context()), path_(info->method()), start_(absl::Now()) {}

  // The context owns its interceptors, so no later call can reuse its address
  // before the record is closed here.
  ~CallLogInterceptor() override {
    if (record_ != nullptr) CloseCallRecord(context_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Open(*methods->GetRecvInitialMetadata());
    }
    if (record_ != nullptr &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdKey, record_->request_id());
    }
    if (record_ != nullptr &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      WriteLine(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Open(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    const absl::string_view id = OnlyValue(metadata, kRequestIdKey);
    record_ = std::make_shared<CallRecord>(UsableRequestId(id) ? std::string(id) : NewRequestId(),
                                           ContinueTrace(OnlyValue(metadata, kTraceparentKey)));
    OpenCallRecord(context_, record_);
  }

  void WriteLine(grpc::StatusCode code) const {
    const LogLevel level = code == grpc::StatusCode::OK ? LogLevel::kDebug : LogLevel::kInfo;
    if (!LogEnabled(level)) return;  // nothing is formatted for a line that is dropped
    const std::string method = MethodLabel(path_);
    const CallRecord::Admission admission = record_->admission();
    const std::string latency =
        absl::StrFormat("%.1f", absl::ToDoubleMilliseconds(absl::Now() - start_));
    const TraceContext& trace = record_->trace();
    const absl::string_view method_name = absl::StripPrefix(method, "/");
    const std::string code_name = CodeLabel(code);
    std::vector<LogField> fields = {{"request_id", record_->request_id()},
                                    {"trace_id", trace.trace_id},
                                    {"span_id", trace.span_id},
                                    {"caller", admission.caller},
                                    {"appid", admission.appid},
                                    {"method", method_name},
                                    {"code", code_name},
                                    {"latency_ms", latency}};
    // A Reply: the push it answers has its own trace.
    if (!admission.push_trace_id.empty())
      fields.push_back({"push_trace_id", admission.push_trace_id});
    Log(level, "call", fields);
  }

  grpc::ServerContextBase* const context_;
  const char* const path_;  // gRPC keeps it for the call
  const absl::Time start_;
  std::shared_ptr<CallRecord> record_;
};

}  // namespace

grpc::experimental::Interceptor* CallLog::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallLogInterceptor(info);
}

}  // namespace wxgate
