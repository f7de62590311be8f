#include "service/server/call_metrics.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "service/observe/metrics.h"

namespace wxgate {
namespace {

// "/pkg.Service/Method" if the pool knows it, else "unknown".
std::string MethodLabel(const char* path) {
  std::string name = path == nullptr ? "" : path;
  if (name.size() < 2 || name[0] != '/') return "unknown";
  const std::string full = absl::StrReplaceAll(name.substr(1), {{"/", "."}});
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full) != nullptr
             ? name
             : "unknown";
}

// grpc::StatusCode's name as in the gRPC spec: OK, NOT_FOUND, …
std::string CodeLabel(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kNames[index] : "UNKNOWN";
}

class CallMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CallMetricsInterceptor(const char* method)
      : method_(MethodLabel(method)), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Metrics& metrics = GlobalMetrics();
      metrics.Count(Metric::kGrpcCalls,
                    {method_, CodeLabel(methods->GetSendStatus().error_code())});
      metrics.Observe(Metric::kGrpcCallSeconds, {method_},
                      absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  const absl::Time start_;
};

}  // namespace

grpc::experimental::Interceptor* CallMetrics::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallMetricsInterceptor(info->method());
}

}  // namespace wxgate
