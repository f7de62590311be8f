// Gateway: a channel to wxgate and the per-call set-up its calls need, the account
// (x-wx-appid) and the caller's API key, over plaintext, TLS or mTLS.
//
//   wxgate_client::Gateway gateway("127.0.0.1:50051", {.appid = "wx1111111111111111"});
//   auto users = wechat::mp::v1::UserService::NewStub(gateway.channel());
//   grpc::ClientContext context;
//   gateway.Prepare(context);                  // account, API key, 30 s deadline
//   grpc::Status status = users->GetUserInfo(&context, request, &user);
//   if (auto error = wxgate_client::ErrorOf(status)) { ... error->errcode ... }
#ifndef WXGATE_CLIENT_GATEWAY_H_
#define WXGATE_CLIENT_GATEWAY_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_interceptor.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace wxgate_client {

inline constexpr char kAppidKey[] = "x-wx-appid";

struct GatewayOptions {
  // The account of every call Prepare()d without one; empty: the gateway's default.
  std::string appid;
  // The caller's API key: call credentials over TLS, the same metadata otherwise.
  std::string api_key;
  // TLS with the CA to trust (PEM text; empty: the system's roots); for mTLS also
  // the client certificate chain and key. ReadFile() loads a PEM file.
  bool tls = false;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  // The deadline Prepare() sets.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  // Further interceptors (gRPC's experimental client interceptors).
  std::vector<std::shared_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
};

class Gateway {
 public:
  explicit Gateway(const std::string& target, GatewayOptions options = {});

  // The channel to make stubs on.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Sets up one call's context: the account (appid, else the options' appid), the
  // API key, and the deadline (options.timeout; zero: none).
  void Prepare(grpc::ClientContext& context, const std::string& appid = "") const;
  void Prepare(grpc::ClientContext& context, std::chrono::milliseconds timeout,
               const std::string& appid = "") const;

 private:
  GatewayOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<grpc::CallCredentials> key_credentials_;  // set over TLS with a key
};

// The contents of a file (a PEM certificate, say); throws std::runtime_error.
std::string ReadFile(const std::string& path);

}  // namespace wxgate_client

#endif  // WXGATE_CLIENT_GATEWAY_H_
