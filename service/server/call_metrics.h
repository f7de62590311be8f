// CallMetrics counts every gRPC call the server answers, health and reflection
// included: wxgate_grpc_calls_total{method, code} and wxgate_grpc_call_seconds{method}.
// A method the descriptor pool does not know is counted as "unknown" (grpc_labels.h),
// so that a client cannot grow the label set.
//
//   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
//   f.push_back(std::make_unique<CallMetrics>());
//   builder.experimental().SetInterceptorCreators(std::move(f));
#ifndef WXGATE_SERVICE_SERVER_CALL_METRICS_H_
#define WXGATE_SERVICE_SERVER_CALL_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

namespace wxgate {

class CallMetrics final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_CALL_METRICS_H_
