#include "service/config/server_tls.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/config/read_file.h"

namespace wxgate::config {
namespace {

// Certificate chains and CA bundles larger than this are not what they claim.
constexpr std::size_t kMaxPemBytes = 16 * 1024 * 1024;

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

absl::StatusOr<std::string> ReadPem(absl::string_view path, const std::string& file,
                                    absl::string_view what) {
  absl::StatusOr<std::string> pem = ReadSmallFile(file, kMaxPemBytes);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(), absl::StrCat(path, ": ", pem.status().message()));
  }
  if (!absl::StrContains(*pem, "-----BEGIN ")) {
    return Invalid(path, absl::StrCat("\"", file, "\" is not PEM (no \"-----BEGIN\" line); give ",
                                      what, " in PEM form"));
  }
  return pem;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& data) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Checks that the key is the private key of the chain's first certificate.
absl::Status CheckKeyPair(const v1::ServerTls& tls, const std::string& chain,
                          const std::string& key) {
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(MemoryBio(chain).get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return Invalid("server.tls.cert_file",
                   absl::StrCat("\"", tls.cert_file(),
                                "\" holds no readable PEM certificate; give the server's "
                                "certificate chain, leaf first"));
  }
  // An empty passphrase callback: an encrypted key fails here instead of prompting.
  std::unique_ptr<EVP_PKEY, KeyFree> private_key(PEM_read_bio_PrivateKey(
      MemoryBio(key).get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (private_key == nullptr) {
    return Invalid("server.tls.key_file",
                   absl::StrCat("\"", tls.key_file(),
                                "\" holds no readable PEM private key (an encrypted key is not "
                                "supported); give the unencrypted key of server.tls.cert_file"));
  }
  if (X509_check_private_key(cert.get(), private_key.get()) != 1) {
    return Invalid("server.tls.key_file",
                   absl::StrCat("\"", tls.key_file(),
                                "\" is not the private key of the certificate in "
                                "server.tls.cert_file (\"",
                                tls.cert_file(), "\")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServerTlsFiles> ReadServerTls(const v1::ServerTls& tls) {
  if (tls.cert_file().empty()) {
    return Invalid("server.tls.cert_file",
                   "missing; give the PEM file of the gRPC listener's certificate chain");
  }
  if (tls.key_file().empty()) {
    return Invalid("server.tls.key_file",
                   "missing; give the PEM file of the private key of server.tls.cert_file");
  }
  ServerTlsFiles files;
  absl::StatusOr<std::string> chain =
      ReadPem("server.tls.cert_file", tls.cert_file(), "the certificate chain");
  if (!chain.ok()) return chain.status();
  files.cert_chain = *std::move(chain);
  absl::StatusOr<std::string> key =
      ReadPem("server.tls.key_file", tls.key_file(), "the private key");
  if (!key.ok()) return key.status();
  files.private_key = *std::move(key);
  if (absl::Status status = CheckKeyPair(tls, files.cert_chain, files.private_key); !status.ok()) {
    return status;
  }
  if (!tls.client_ca_file().empty()) {
    absl::StatusOr<std::string> ca =
        ReadPem("server.tls.client_ca_file", tls.client_ca_file(), "the client CA certificates");
    if (!ca.ok()) return ca.status();
    if (!absl::StrContains(*ca, "-----BEGIN CERTIFICATE-----")) {
      return Invalid("server.tls.client_ca_file",
                     absl::StrCat("\"", tls.client_ca_file(),
                                  "\" holds no PEM certificate; give the CA certificates that "
                                  "client certificates chain to"));
    }
    files.client_ca = *std::move(ca);
  }
  return files;
}

}  // namespace wxgate::config
