#include "wxgate_client/gateway.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace wxgate_client {
namespace {

// The caller's API key as call credentials ("authorization: Bearer KEY").
class ApiKeyPlugin : public grpc::MetadataCredentialsPlugin {
 public:
  explicit ApiKeyPlugin(std::string key) : key_(std::move(key)) {}
  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<grpc::string, grpc::string>* metadata) override {
    metadata->emplace("authorization", "Bearer " + key_);
    return grpc::Status::OK;
  }

 private:
  std::string key_;
};

}  // namespace

Gateway::Gateway(const std::string& target, GatewayOptions options) : options_(std::move(options)) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options_.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options_.ca_pem;
    ssl.pem_cert_chain = options_.cert_pem;
    ssl.pem_private_key = options_.key_pem;
    credentials = grpc::SslCredentials(ssl);
    if (!options_.api_key.empty()) {
      key_credentials_ =
          grpc::MetadataCredentialsFromPlugin(std::make_unique<ApiKeyPlugin>(options_.api_key));
    }
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  // The factories are shared with the options; each channel gets a forwarding one.
  struct Forward : grpc::experimental::ClientInterceptorFactoryInterface {
    std::shared_ptr<grpc::experimental::ClientInterceptorFactoryInterface> factory;
    grpc::experimental::Interceptor* CreateClientInterceptor(
        grpc::experimental::ClientRpcInfo* info) override {
      return factory->CreateClientInterceptor(info);
    }
  };
  for (const auto& factory : options_.interceptors) {
    auto forward = std::make_unique<Forward>();
    forward->factory = factory;
    interceptors.push_back(std::move(forward));
  }
  channel_ = grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, grpc::ChannelArguments(), std::move(interceptors));
}

void Gateway::Prepare(grpc::ClientContext& context, const std::string& appid) const {
  Prepare(context, options_.timeout, appid);
}

void Gateway::Prepare(grpc::ClientContext& context, std::chrono::milliseconds timeout,
                      const std::string& appid) const {
  const std::string& account = appid.empty() ? options_.appid : appid;
  if (!account.empty()) context.AddMetadata(kAppidKey, account);
  if (key_credentials_) {
    context.set_credentials(key_credentials_);
  } else if (!options_.api_key.empty()) {
    // Plaintext (loopback, or a sidecar's mTLS): gRPC sends call credentials only
    // over TLS, so the key goes in the metadata.
    context.AddMetadata("authorization", "Bearer " + options_.api_key);
  }
  if (timeout.count() > 0) context.set_deadline(std::chrono::system_clock::now() + timeout);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("wxgate_client: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace wxgate_client
