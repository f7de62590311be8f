// The gateway serves annotated services it has never seen in C++ (echo_test.proto is
// linked into this test only), plus RawService and health.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <tuple>
#include <utility>

#include "echo_test.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/integration/gateway_harness.h"
#include "wxgate/v1/raw.grpc.pb.h"

namespace wxgate::testing {
namespace {

using v1::EchoBodyRequest;
using v1::EchoQueryRequest;
using v1::EchoResponse;
using v1::EchoTestService;

class GenericServicesTest : public ::testing::Test {
 protected:
  GatewayHarness h_;
};

TEST_F(GenericServicesTest, TestOnlyServiceIsServedWithoutCpp) {
  auto stub = EchoTestService::NewStub(h_.channel());
  EchoQueryRequest request;
  request.set_openid("o1");
  request.set_msg_id(9223372036854775807LL);
  request.add_tags("a");
  EchoResponse response;
  grpc::Status status = stub->EchoQuery(ContextFor("").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.method(), "GET");
  EXPECT_EQ(response.query().at("openid"), "o1");
  EXPECT_EQ(response.query().at("msg_id"), "9223372036854775807");
  EXPECT_EQ(response.query().at("access_token"), h_.fake().CurrentAccessToken(kAppidA));
}

TEST_F(GenericServicesTest, LargeIntegersGoOutAsJsonNumbers) {
  auto stub = EchoTestService::NewStub(h_.channel());
  EchoBodyRequest request;
  request.set_kind("k");
  request.set_msg_id(1234567890123456789LL);
  request.mutable_item()->set_title("t");
  request.mutable_item()->add_ids(4000000000U);
  EchoResponse response;
  grpc::Status status = stub->EchoBody(ContextFor("").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.method(), "POST");
  EXPECT_EQ(response.query().at("kind"), "k");
  EXPECT_EQ(response.body().msg_id(), 1234567890123456789LL);
  const std::string body = h_.fake().LastRequest("/fake/echo")->body;
  EXPECT_NE(body.find(R"("msg_id":1234567890123456789)"), std::string::npos) << body;
  EXPECT_EQ(nlohmann::json::parse(body),
            nlohmann::json::parse(
                R"({"msg_id":1234567890123456789,"item":{"title":"t","ids":[4000000000]}})"));
}

TEST_F(GenericServicesTest, ACredentialKindNotServedFailsNamingItAndSendsNothing) {
  auto stub = EchoTestService::NewStub(h_.channel());
  EchoQueryRequest request;
  request.set_openid("o1");
  EchoResponse response;
  grpc::Status component = stub->EchoAsComponent(ContextFor("").get(), request, &response);
  grpc::Status authorizer = stub->EchoAsAuthorizer(ContextFor("").get(), request, &response);
  // No component is configured here: the component call says so; authorizer tokens
  // are not served at all yet.
  for (const auto& [status, kind, reason] :
       {std::tuple{component, "component_access_token", "NO_COMPONENT_CHOSEN"},
        std::tuple{authorizer, "authorizer_access_token", "CREDENTIAL_NOT_SERVED"}}) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << kind;
    EXPECT_EQ(ErrorInfoFrom(status).reason(), reason) << kind;
    EXPECT_NE(status.error_message().find(kind), std::string::npos) << status.error_message();
  }
  EXPECT_EQ(h_.fake().CallCount("/fake/echo"), 0);
}

TEST_F(GenericServicesTest, RawCallWithTheGatewaysToken) {
  auto stub = wxgate::v1::RawService::NewStub(h_.channel());
  wxgate::v1::CallRequest request;
  request.set_method("GET");
  request.set_path("/cgi-bin/user/info");
  (*request.mutable_query())["openid"] = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";
  wxgate::v1::CallResponse response;
  grpc::Status status = stub->Call(ContextFor(kAppidB).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(nlohmann::json::parse(response.json())["qr_scene_str"], "spring_campaign");
  EXPECT_EQ(h_.fake().LastRequest("/cgi-bin/user/info")->query.at("access_token"),
            h_.fake().CurrentAccessToken(kAppidB));
}

TEST_F(GenericServicesTest, RawCallErrorsAreStatuses) {
  auto stub = wxgate::v1::RawService::NewStub(h_.channel());
  wxgate::v1::CallRequest request;
  request.set_method("POST");
  request.set_path("/cgi-bin/tags/create");
  request.set_json_body("{}");
  wxgate::v1::CallResponse response;
  grpc::Status status = stub->Call(ContextFor("").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "WECHAT_47001");

  request.set_path("/cgi-bin/stable_token");
  status = stub->Call(ContextFor("").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/stable_token"), 1) << "only the gateway's own fetch";
}

TEST_F(GenericServicesTest, MalformedRequestBytesAreInvalidArgument) {
  grpc::GenericStub stub(h_.channel());
  grpc::ClientContext context;
  grpc::Slice slice(std::string("\xff\xff\xff", 3));
  grpc::ByteBuffer request(&slice, 1), response;
  absl::Mutex mu;
  std::optional<grpc::Status> outcome;
  stub.UnaryCall(&context, "/wxgate.testing.v1.EchoTestService/EchoQuery", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status status) {
                   absl::MutexLock lock(&mu);
                   outcome = status;
                 });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](std::optional<grpc::Status>* o) { return o->has_value(); }, &outcome));
  EXPECT_EQ(outcome->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(*outcome).reason(), "MALFORMED_REQUEST");
}

TEST_F(GenericServicesTest, HealthIsServing) {
  auto stub = grpc::health::v1::Health::NewStub(h_.channel());
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(GatewayStartTest, PortInUseNamesTheField) {
  GatewayHarness first;
  config::LoadedConfig loaded;
  loaded.config.mutable_server()->set_grpc_listen("127.0.0.1:" +
                                                  std::to_string(first.gateway().port()));
  loaded.config.mutable_upstream()->set_base_url("https://127.0.0.1:1");
  absl::StatusOr<std::unique_ptr<Gateway>> second = Gateway::Start(loaded);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("server.grpc_listen"), std::string::npos)
      << second.status();
}

}  // namespace
}  // namespace wxgate::testing
