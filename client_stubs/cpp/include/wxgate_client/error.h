// WeChat's and the gateway's errors, read from a failed call's status: the
// google.rpc.ErrorInfo wxgate puts in the status details (grpc-status-details-bin).
//
//   if (auto error = wxgate_client::ErrorOf(status); error && error->is_wechat()) {
//     std::cerr << error->errcode << " " << error->errmsg << " rid " << error->rid;
//   }
#ifndef WXGATE_CLIENT_ERROR_H_
#define WXGATE_CLIENT_ERROR_H_

#include <grpcpp/support/status.h>

#include <map>
#include <optional>
#include <string>

namespace wxgate_client {

inline constexpr char kWeChatDomain[] = "api.weixin.qq.com";

struct WxgateError {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  // "WECHAT_<errcode>" for WeChat's errors, else the gateway's own ("UNKNOWN_APPID",
  // "CALLER_UNAUTHENTICATED", ...; the README's reason table).
  std::string reason;
  std::string domain;
  std::map<std::string, std::string> metadata;
  // WeChat's errcode, errmsg and request id; 0 and empty for the gateway's errors.
  int errcode = 0;
  std::string errmsg;
  std::string rid;

  bool is_wechat() const { return domain == kWeChatDomain; }
};

// The error a failed status carries; nullopt for OK or a status without ErrorInfo.
std::optional<WxgateError> ErrorOf(const grpc::Status& status);

}  // namespace wxgate_client

#endif  // WXGATE_CLIENT_ERROR_H_
