// ReadServerTls: the PEM files of server.tls (the gRPC listener's certificate, key
// and client CA), read and checked so that a mistake is a configuration error that
// names the field, not a listener that fails to start:
//
//   ReadServerTls({cert_file: "/etc/wxgate/tls.crt" key_file: "/etc/wxgate/tls.key"
//                  client_ca_file: "/etc/wxgate/clients-ca.pem"})
//     -> {cert_chain: "-----BEGIN CERTIFICATE-----...", private_key: "...",
//         client_ca: "-----BEGIN CERTIFICATE-----..."}
//     -> InvalidArgument "server.tls.cert_file: missing; ..."
//     -> NotFound "server.tls.key_file: cannot read \"/etc/wxgate/tls.key\": ..."
//     -> InvalidArgument "server.tls.key_file: \"...\" is not the private key of the
//        certificate in server.tls.cert_file"
//
// Checks: cert_file and key_file are given, readable and PEM; the key belongs to
// the first certificate of cert_file; client_ca_file, when given, is readable and
// holds a PEM certificate. Messages never contain a file's contents.
#ifndef WXGATE_SERVICE_CONFIG_SERVER_TLS_H_
#define WXGATE_SERVICE_CONFIG_SERVER_TLS_H_

#include <string>

#include "absl/status/statusor.h"
#include "wxgate/config/v1/config.pb.h"

namespace wxgate::config {

struct ServerTlsFiles {
  std::string cert_chain;   // PEM, leaf first
  std::string private_key;  // PEM
  std::string client_ca;    // PEM; empty without client_ca_file
};

absl::StatusOr<ServerTlsFiles> ReadServerTls(const v1::ServerTls& tls);

}  // namespace wxgate::config

#endif  // WXGATE_SERVICE_CONFIG_SERVER_TLS_H_
