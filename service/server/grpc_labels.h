// How a gRPC call is named in metrics and logs, the same way in both:
//
//   MethodLabel("/wechat.mp.v1.UserService/GetUserInfo") -> "/wechat.mp.v1.UserService/GetUserInfo"
//   MethodLabel("/made.up/Path")                          -> "unknown"
//   CodeLabel(grpc::StatusCode::NOT_FOUND)                -> "NOT_FOUND"
//
// A method the descriptor pool does not know is "unknown", so that a client can
// neither grow a metric's label set nor write what it likes into the log.
#ifndef WXGATE_SERVICE_SERVER_GRPC_LABELS_H_
#define WXGATE_SERVICE_SERVER_GRPC_LABELS_H_

#include <grpcpp/support/status.h>

#include <string>

namespace wxgate {

std::string MethodLabel(const char* path);

// grpc::StatusCode's name as in the gRPC spec: OK, NOT_FOUND, …
std::string CodeLabel(grpc::StatusCode code);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_GRPC_LABELS_H_
