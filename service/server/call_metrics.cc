#include "service/server/call_metrics.h"

#include <string>

#include "absl/time/clock.h"
#include "service/observe/metrics.h"
#include "service/server/grpc_labels.h"

namespace wxgate {
namespace {

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
