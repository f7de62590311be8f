// Who may call, beyond API keys, through the real gateway: TLS and client
// certificates on the gRPC listener (identities from SAN URI, SAN DNS or CN), the
// trusted mesh identity header, reflection switched off, and the cap on live
// subscriptions per caller. Certificates are made at test time
// (make_mtls_certs.sh) in a temporary directory.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/user.grpc.pb.h"
#include "wxgate/v1/event.grpc.pb.h"
#include "wxgate/v1/token.grpc.pb.h"

namespace wxgate::testing {
namespace {

// SHA-256 of "shop-key-1" (Python's hashlib).
constexpr char kShopKeyHash[] = "9027afd51b2cc5c65a1d95ef344e5293b5521abc3f20da288acaacf84b3ca999";
constexpr char kShopUri[] = "spiffe://test/shop";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The certificates of make_mtls_certs.sh, made once for the whole test program.
class Certs {
 public:
  static const Certs& Get() {
    static const Certs* certs = new Certs();
    return *certs;
  }
  std::string Path(const std::string& file) const { return absl::StrCat(dir_, "/", file); }
  std::string Pem(const std::string& file) const { return ReadFile(Path(file)); }

 private:
  Certs() {
    std::string pattern = absl::StrCat(::testing::TempDir(), "/wxgate_mtls_XXXXXX");
    dir_ = mkdtemp(pattern.data()) ? pattern : "";
    const std::string command =
        absl::StrCat("bash ", WXGATE_MTLS_CERT_SCRIPT, " '", dir_, "' >/dev/null");
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    // Test keys do not outlive the test program.
    static const std::string* made = new std::string(dir_);
    std::atexit([] {
      if (!made->empty()) std::system(absl::StrCat("rm -rf '", *made, "'").c_str());
    });
  }
  std::string dir_;
};

// TLS that trusts the test CA, presenting `client`'s certificate ("": none).
std::shared_ptr<grpc::ChannelCredentials> ClientTls(const std::string& client) {
  const Certs& certs = Certs::Get();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = certs.Pem("ca.pem");
  if (!client.empty()) {
    options.pem_private_key = certs.Pem(client + ".key");
    options.pem_cert_chain = certs.Pem(client + ".pem");
  }
  return grpc::SslCredentials(options);
}

config::v1::ServerTls ServerTls(config::v1::ClientCertificates client_certificates) {
  const Certs& certs = Certs::Get();
  config::v1::ServerTls tls;
  tls.set_cert_file(certs.Path("server.pem"));
  tls.set_key_file(certs.Path("server.key"));
  if (client_certificates != config::v1::CLIENT_CERTIFICATES_NONE) {
    tls.set_client_ca_file(certs.Path("ca.pem"));
  }
  tls.set_client_certificates(client_certificates);
  return tls;
}

// shop: known by its SPIFFE ID (and an API key); ops: by its certificate's DNS
// name; batch: by the CN of a certificate without SAN.
config::v1::Access Callers() {
  config::v1::Access access;
  auto* shop = access.add_callers();
  shop->set_name("shop");
  shop->add_api_key_sha256(kShopKeyHash);
  shop->add_tls_identities(kShopUri);
  shop->mutable_policy()->add_appids(kAppidA);
  shop->mutable_policy()->add_methods("wechat.mp.v1.UserService/*");
  shop->mutable_policy()->add_methods("wxgate.v1.EventService/*");
  auto* ops = access.add_callers();
  ops->set_name("ops");
  ops->add_tls_identities("ops.internal");
  ops->mutable_policy()->add_appids("*");
  ops->mutable_policy()->add_methods("wxgate.v1.TokenService/TokenStatus");
  auto* batch = access.add_callers();
  batch->set_name("batch");
  batch->add_tls_identities("batch-client");
  batch->mutable_policy()->add_appids("*");
  batch->mutable_policy()->add_methods("wechat.mp.v1.UserService/*");
  return access;
}

HarnessOptions Options(std::optional<config::v1::ServerTls> tls,
                       const config::v1::Access& access = Callers()) {
  HarnessOptions options;
  options.access = access;
  options.tls = std::move(tls);
  return options;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& appid,
                                             const std::string& key = "") {
  std::unique_ptr<grpc::ClientContext> context = ContextFor(appid);
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  return context;
}

grpc::Status GetUser(const std::shared_ptr<grpc::Channel>& channel,
                     std::unique_ptr<grpc::ClientContext> context) {
  auto stub = wechat::mp::v1::UserService::NewStub(channel);
  wechat::mp::v1::GetUserInfoRequest request;
  request.set_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
  wechat::mp::v1::GetUserInfoResponse response;
  return stub->GetUserInfo(context.get(), request, &response);
}

grpc::Status GetUser(const std::shared_ptr<grpc::Channel>& channel, const std::string& appid) {
  return GetUser(channel, Context(appid));
}

grpc::Status TokenStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& appid) {
  auto stub = wxgate::v1::TokenService::NewStub(channel);
  wxgate::v1::TokenStatusResponse response;
  return stub->TokenStatus(Context(appid).get(), wxgate::v1::TokenStatusRequest(), &response);
}

grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckResponse response;
  return health->Check(ContextFor("").get(), grpc::health::v1::HealthCheckRequest(), &response);
}

// --- client certificates required -------------------------------------------

class RequiredCertificateTest : public ::testing::Test {
 protected:
  std::shared_ptr<grpc::Channel> As(const std::string& client) {
    return h_.ChannelWith(ClientTls(client));
  }
  GatewayHarness h_{Options(ServerTls(config::v1::CLIENT_CERTIFICATES_REQUIRE))};
};

TEST_F(RequiredCertificateTest, ACertificateWithAKnownSanUriIsServed) {
  grpc::Status status = GetUser(As("shop"), kAppidA);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 1);
}

TEST_F(RequiredCertificateTest, SanDnsNamesAndTheCnOfACertificateWithoutSanNameCallers) {
  grpc::Status status = TokenStatus(As("ops"), kAppidB);
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = GetUser(As("cn_only"), kAppidB);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(RequiredCertificateTest, TheRightCertificateForTheWrongAccountOrMethodIsDenied) {
  std::shared_ptr<grpc::Channel> shop = As("shop");
  grpc::Status status = GetUser(shop, kAppidB);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "CALLER_NOT_ALLOWED");
  status = TokenStatus(shop, kAppidA);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 0);
}

TEST_F(RequiredCertificateTest, ACertificateNoCallerHasIsDeniedWithoutSayingSo) {
  grpc::Status stranger = GetUser(As("stranger"), kAppidB);
  grpc::Status outside = GetUser(As("shop"), kAppidB);
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoFrom(stranger).reason(), "CALLER_NOT_ALLOWED");
  EXPECT_EQ(stranger.error_message(), outside.error_message());
  for (const char* hidden : {"shop", "ops", "batch", "stranger", "spiffe"}) {
    EXPECT_EQ(stranger.error_message().find(hidden), std::string::npos) << hidden;
  }
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 0);
}

TEST_F(RequiredCertificateTest, UntrustedExpiredOrMissingCertificatesFailTheHandshake) {
  for (const char* client : {"untrusted", "expired", ""}) {
    grpc::Status status = GetUser(As(client), kAppidA);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << client;
  }
  // Nor does a plaintext client get through.
  EXPECT_EQ(GetUser(h_.ChannelWith(grpc::InsecureChannelCredentials()), kAppidA).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 0);
}

TEST_F(RequiredCertificateTest, AnApiKeyComesFirstAndAWrongOneIsNotSavedByTheCertificate) {
  grpc::Status status = GetUser(As("ops"), Context(kAppidA, "shop-key-1"));
  EXPECT_TRUE(status.ok()) << status.error_message();  // shop's key on ops' connection
  status = GetUser(As("shop"), Context(kAppidA, "not-a-key"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "CALLER_UNAUTHENTICATED");
}

// --- client certificates requested ------------------------------------------

HarnessOptions RequestedWithAnonymousTokenStatus() {
  config::v1::Access access = Callers();
  access.mutable_anonymous()->add_appids("*");
  access.mutable_anonymous()->add_methods("wxgate.v1.TokenService/TokenStatus");
  return Options(ServerTls(config::v1::CLIENT_CERTIFICATES_REQUEST), access);
}

TEST(RequestedCertificateTest, WithoutACertificateAKeyOrTheAnonymousPolicyApplies) {
  GatewayHarness h(RequestedWithAnonymousTokenStatus());
  std::shared_ptr<grpc::Channel> no_certificate = h.ChannelWith(ClientTls(""));
  grpc::Status status = GetUser(no_certificate, Context(kAppidA, "shop-key-1"));
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = TokenStatus(no_certificate, kAppidA);
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = GetUser(no_certificate, kAppidA);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A certificate, when sent, names the caller and must be valid.
  status = GetUser(h.ChannelWith(ClientTls("shop")), kAppidA);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(GetUser(h.ChannelWith(ClientTls("untrusted")), kAppidA).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GetUser(h.ChannelWith(ClientTls("expired")), kAppidA).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A certificate no caller has is denied, not taken as anonymous.
  EXPECT_EQ(TokenStatus(h.ChannelWith(ClientTls("stranger")), kAppidA).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST(ServerOnlyTlsTest, WithoutClientCertificatesCallersUseKeys) {
  GatewayHarness h(Options(ServerTls(config::v1::CLIENT_CERTIFICATES_NONE)));
  std::shared_ptr<grpc::Channel> channel = h.ChannelWith(ClientTls(""));
  grpc::Status status = GetUser(channel, Context(kAppidA, "shop-key-1"));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(GetUser(channel, kAppidA).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(HealthCheck(channel).ok());
}

// --- the mesh identity header -----------------------------------------------

std::unique_ptr<grpc::ClientContext> WithHeader(const std::string& appid, const std::string& name,
                                                const std::string& value) {
  std::unique_ptr<grpc::ClientContext> context = ContextFor(appid);
  context->AddMetadata(name, value);
  return context;
}

constexpr char kXfcc[] = "x-forwarded-client-cert";

TEST(IdentityHeaderTest, IsHonouredWhenConfigured) {
  config::v1::Access access = Callers();
  access.set_identity_header(kXfcc);
  GatewayHarness h(Options(std::nullopt, access));
  const std::string shop_xfcc =
      absl::StrCat("By=spiffe://test/wxgate;Hash=0123abcd;URI=", kShopUri, ";DNS=shop.internal");
  grpc::Status status = GetUser(h.channel(), WithHeader(kAppidA, kXfcc, shop_xfcc));
  EXPECT_TRUE(status.ok()) << status.error_message();
  // A plain value; several XFCC elements (the last one counts).
  status = GetUser(h.channel(), WithHeader(kAppidB, kXfcc, "batch-client"));
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = GetUser(
      h.channel(),
      WithHeader(kAppidA, kXfcc, absl::StrCat("By=a;URI=spiffe://test/stranger,", shop_xfcc)));
  EXPECT_TRUE(status.ok()) << status.error_message();
  // Unknown identities and the wrong account are denied alike.
  grpc::Status stranger =
      GetUser(h.channel(), WithHeader(kAppidB, kXfcc, "By=a;URI=spiffe://test/stranger"));
  grpc::Status outside = GetUser(h.channel(), WithHeader(kAppidB, kXfcc, shop_xfcc));
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(outside.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stranger.error_message(), outside.error_message());
  // Another header is not the configured one.
  EXPECT_EQ(GetUser(h.channel(), WithHeader(kAppidA, "x-client-identity", kShopUri)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(IdentityHeaderTest, IsIgnoredWhenNotConfigured) {
  GatewayHarness h(Options(std::nullopt));
  for (const std::string& value : {std::string(kShopUri), absl::StrCat("URI=", kShopUri)}) {
    for (const char* name : {kXfcc, "x-client-identity"}) {
      grpc::Status status = GetUser(h.channel(), WithHeader(kAppidA, name, value));
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << ": " << value;
    }
  }
  EXPECT_EQ(h.fake().CallCount("/cgi-bin/user/info"), 0);
}

// --- reflection ---------------------------------------------------------------

// One ServerReflectionInfo exchange (list_services), as a unary call on raw bytes.
grpc::Status ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  const char kListServices[] = {0x3a, 0x00};  // field 7 (list_services): ""
  grpc::Slice slice(kListServices, sizeof(kListServices));
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  absl::Notification done;
  grpc::Status result;
  stub.UnaryCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 grpc::StubOptions(), &request, &response, [&](grpc::Status status) {
                   result = std::move(status);
                   done.Notify();
                 });
  done.WaitForNotification();
  return result;
}

TEST(ReflectionTest, IsServedByDefaultAndCanBeSwitchedOffPerServer) {
  // Two gateways in one process: the switch is per server, not global.
  GatewayHarness with(Options(std::nullopt));
  HarnessOptions off = Options(std::nullopt);
  off.reflection = false;
  GatewayHarness without(off);
  grpc::Status status = ListServices(with.channel());
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ListServices(without.channel()).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(HealthCheck(without.channel()).ok());
  status = ListServices(with.channel());  // still on after the other server started
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// --- live subscriptions per caller -------------------------------------------

// A Subscribe stream read on its own thread until it ends.
class Subscription {
 public:
  Subscription(const std::shared_ptr<grpc::Channel>& channel, const std::string& key) {
    stub_ = wxgate::v1::EventService::NewStub(channel);
    context_ = Context("", key);
    wxgate::v1::SubscribeRequest request;
    request.mutable_filter()->add_appids(kAppidA);
    reader_ = stub_->Subscribe(context_.get(), request);
    reading_ = std::thread([this] {
      wxgate::v1::SubscribeResponse ignored;
      while (reader_->Read(&ignored)) {
      }
      status_ = reader_->Finish();
      ended_ = true;
    });
  }
  ~Subscription() { End(); }

  // Cancels the stream (if still live) and returns how it ended.
  grpc::Status End() {
    if (reading_.joinable()) {
      context_->TryCancel();
      reading_.join();
    }
    return status_;
  }
  // How it ended, once it has (waits).
  grpc::Status Ended() {
    reading_.join();
    return status_;
  }
  bool ended() const { return ended_; }

 private:
  std::unique_ptr<wxgate::v1::EventService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<wxgate::v1::SubscribeResponse>> reader_;
  std::thread reading_;
  std::atomic<bool> ended_{false};
  grpc::Status status_;
};

TEST(SubscriptionCapTest, ACallerOverItsCapIsRefusedUntilAStreamEnds) {
  HarnessOptions options = Options(std::nullopt);
  options.max_subscriptions_per_caller = 2;
  GatewayHarness h(options);
  const SubscriptionQuota& quota = h.gateway().subscriptions();
  auto first = std::make_unique<Subscription>(h.channel(), "shop-key-1");
  Subscription second(h.channel(), "shop-key-1");
  ASSERT_TRUE(WaitFor([&] { return h.gateway().events().subscriber_count() == 2; }));
  EXPECT_EQ(quota.InUse("shop"), 2u);

  Subscription third(h.channel(), "shop-key-1");
  grpc::Status refused = third.Ended();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorInfoFrom(refused).reason(), "TOO_MANY_SUBSCRIPTIONS");
  EXPECT_FALSE(second.ended());

  // Ending a stream frees its slot.
  EXPECT_EQ(first->End().error_code(), grpc::StatusCode::CANCELLED);
  first.reset();
  ASSERT_TRUE(WaitFor([&] { return quota.InUse("shop") == 1; }));
  Subscription fourth(h.channel(), "shop-key-1");
  ASSERT_TRUE(WaitFor([&] { return h.gateway().events().subscriber_count() == 2; }));
  EXPECT_FALSE(fourth.ended());
  EXPECT_EQ(quota.InUse("shop"), 2u);
  EXPECT_EQ(fourth.End().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(second.End().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return quota.InUse("shop") == 0; }));
}

}  // namespace
}  // namespace wxgate::testing
