#include "service/errors/grpc_status.h"

#include <string>

#include "google/rpc/status.pb.h"
#include "service/errors/error_info.h"

namespace wxgate {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  if (std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status)) {
    details.add_details()->PackFrom(*info);
  }
  if (std::optional<google::rpc::RetryInfo> retry = RetryInfoOf(status)) {
    details.add_details()->PackFrom(*retry);
  }
  return grpc::Status(code, std::move(message), details.SerializeAsString());
}

}  // namespace wxgate
