#include "service/config/server_tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace wxgate::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The fake WeChat's test certificates (target test_certs).
const std::string kCerts = WXGATE_TEST_CERT_DIR;

v1::ServerTls Tls(const std::string& cert, const std::string& key, const std::string& ca = "") {
  v1::ServerTls tls;
  tls.set_cert_file(absl::StrCat(kCerts, "/", cert));
  tls.set_key_file(absl::StrCat(kCerts, "/", key));
  if (!ca.empty()) tls.set_client_ca_file(absl::StrCat(kCerts, "/", ca));
  return tls;
}

std::string Message(const absl::StatusOr<ServerTlsFiles>& files) {
  return std::string(files.status().message());
}

TEST(ReadServerTlsTest, ReadsAMatchingPairAndTheClientCa) {
  absl::StatusOr<ServerTlsFiles> files = ReadServerTls(Tls("server.pem", "server.key", "ca.pem"));
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(files->cert_chain, StartsWith("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(files->private_key, HasSubstr("PRIVATE KEY-----"));
  EXPECT_THAT(files->client_ca, StartsWith("-----BEGIN CERTIFICATE-----"));
  files = ReadServerTls(Tls("server.pem", "server.key"));
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->client_ca.empty());
}

TEST(ReadServerTlsTest, NamesTheFieldAtFaultWithoutShowingTheKey) {
  absl::StatusOr<ServerTlsFiles> files = ReadServerTls(Tls("untrusted_server.pem", "server.key"));
  EXPECT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(files), StartsWith("server.tls.key_file: "));
  EXPECT_THAT(Message(files), HasSubstr("is not the private key of the certificate"));
  EXPECT_THAT(Message(files), Not(HasSubstr("PRIVATE KEY")));

  files = ReadServerTls(Tls("server.key", "server.key"));
  EXPECT_THAT(Message(files), StartsWith("server.tls.cert_file: "));
  files = ReadServerTls(Tls("server.pem", "absent.key"));
  EXPECT_EQ(files.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(files), StartsWith("server.tls.key_file: cannot read"));
  files = ReadServerTls(Tls("server.pem", "server.key", "server.key"));
  EXPECT_THAT(Message(files), StartsWith("server.tls.client_ca_file: "));
  EXPECT_THAT(Message(ReadServerTls(v1::ServerTls())), StartsWith("server.tls.cert_file: missing"));
}

}  // namespace
}  // namespace wxgate::config
