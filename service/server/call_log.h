// CallLog writes one `call` line at the end of every gRPC call the server answers,
// health and reflection included, and gives each call its request id and trace:
//
//   metadata in:  x-request-id: r-7 (kept when 1–128 printable characters, else a new id)
//                 traceparent: 00-4bf9…-00f0…-01 (W3C; absent or malformed: a new trace)
//   metadata out: x-request-id: r-7 (in the response's initial metadata)
//   log line:     call request_id=r-7 trace_id=4bf9… span_id=… caller=billing appid=wx1
//                 method=wechat.mp.v1.UserService/GetUserInfo code=OK latency_ms=12.3
//                 [push_trace_id=… for a Reply]
//
// The line is DEBUG for OK and INFO otherwise, so that the default level shows the
// failed calls only; at a level that drops it nothing is formatted. While the call
// runs its CallRecord (service/call/call_record.h) is found from its context, so
// that admission and handlers add the caller and appid and their own lines carry
// the trace.
//
//   factories.push_back(std::make_unique<CallLog>());
//   builder.experimental().SetInterceptorCreators(std::move(factories));
#ifndef WXGATE_SERVICE_SERVER_CALL_LOG_H_
#define WXGATE_SERVICE_SERVER_CALL_LOG_H_

#include <grpcpp/support/server_interceptor.h>

namespace wxgate {

class CallLog final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_CALL_LOG_H_
