// EndpointService: a grpc::Service built at run time from a proto service whose
// methods carry (wxgate.endpoint), with no C++ written per method.
//
//   EndpointService user_service(*pool->FindServiceByName("wechat.mp.v1.UserService"),
//                                bindings, deps, accounts);
//   builder.RegisterService(&user_service);
//
// It registers like a generated service (so server reflection lists it) but works
// on raw bytes: each call's request is parsed with the method's input type, turned
// into an upstream request by its EndpointBinding, and WeChat's answer is read into
// the method's output type. Uploads may stream their request (ServeUpload) and
// downloads stream their answer (ServeDownload). Does not own `deps` or `accounts`; the gateway
// keeps them alive longer than the server.
#ifndef WXGATE_SERVICE_SERVER_ENDPOINT_SERVICE_H_
#define WXGATE_SERVICE_SERVER_ENDPOINT_SERVICE_H_

#include <grpcpp/impl/service_type.h>
#include <grpcpp/support/byte_buffer.h>

#include <deque>
#include <string>
#include <vector>

#include "service/server/call_admission.h"
#include "service/server/upstream_call.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

class EndpointService : public grpc::Service {
 public:
  EndpointService(std::vector<EndpointBinding> bindings, const UpstreamDeps& deps,
                  const CallAdmission& admission);
  EndpointService(const EndpointService&) = delete;
  EndpointService& operator=(const EndpointService&) = delete;

 private:
  grpc::ServerUnaryReactor* Handle(const EndpointBinding& binding,
                                   grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response);
  // ANSWER_KIND_URL: answers with the URL the request makes, without calling WeChat.
  grpc::ServerUnaryReactor* AnswerWithUrl(const EndpointBinding& binding,
                                          grpc::CallbackServerContext* context,
                                          const google::protobuf::Message& request,
                                          grpc::ByteBuffer* response);

  const std::vector<EndpointBinding> bindings_;
  // gRPC keeps a pointer to each method's name, so the names live here.
  std::deque<std::string> method_paths_;
  const UpstreamDeps& deps_;
  const CallAdmission& admission_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_ENDPOINT_SERVICE_H_
