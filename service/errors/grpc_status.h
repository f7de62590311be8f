// The one place that turns an absl::Status into what a gRPC caller sees: the code,
// the message, and a google.rpc.Status (with the ErrorInfo, if any) in the
// grpc-status-details-bin trailer that every gRPC library can decode.
#ifndef WXGATE_SERVICE_ERRORS_GRPC_STATUS_H_
#define WXGATE_SERVICE_ERRORS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace wxgate {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_ERRORS_GRPC_STATUS_H_
