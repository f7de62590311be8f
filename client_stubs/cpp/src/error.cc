#include "wxgate_client/error.h"

#include <cstdlib>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace wxgate_client {

std::optional<WxgateError> ErrorOf(const grpc::Status& status) {
  if (status.ok() || status.error_details().empty()) return std::nullopt;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    WxgateError error;
    error.code = status.error_code();
    error.message = status.error_message();
    error.reason = info.reason();
    error.domain = info.domain();
    error.metadata.insert(info.metadata().begin(), info.metadata().end());
    if (auto it = error.metadata.find("errcode"); it != error.metadata.end()) {
      error.errcode = std::atoi(it->second.c_str());
    }
    if (auto it = error.metadata.find("errmsg"); it != error.metadata.end())
      error.errmsg = it->second;
    if (auto it = error.metadata.find("rid"); it != error.metadata.end()) error.rid = it->second;
    return error;
  }
  return std::nullopt;
}

}  // namespace wxgate_client
