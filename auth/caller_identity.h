// The identities a caller presents besides an API key: the names in its verified
// client certificate, and the value a trusted mesh proxy puts in a request header.
// Both are matched exactly against access.callers[].tls_identities.
//
//   CertificateIdentities({.uris = {"spiffe://test/shop"}, .dns_names = {"shop.internal"},
//                          .has_subject_alt_names = true, .common_name = "shop"})
//     -> {"spiffe://test/shop", "shop.internal"}   // the CN only counts without a SAN
//   CertificateIdentities({.has_subject_alt_names = false, .common_name = "shop"})
//     -> {"shop"}
//
//   IdentitiesFromHeader("By=spiffe://gw;Hash=ab12;URI=spiffe://test/shop;DNS=shop")
//     -> {"spiffe://test/shop"}                 // Envoy XFCC: URI=, else DNS=
//   IdentitiesFromHeader("By=a;URI=spiffe://x,By=b;DNS=shop.internal")
//     -> {"shop.internal"}                      // the last element: the nearest proxy's
//   IdentitiesFromHeader("spiffe://test/shop")  -> {"spiffe://test/shop"}  // not XFCC
//   IdentitiesFromHeader("  ")                  -> {}
//
// Neither function checks that an identity is genuine: the certificate was verified
// by the TLS handshake, and the header is trusted only when configured.
#ifndef WXGATE_AUTH_CALLER_IDENTITY_H_
#define WXGATE_AUTH_CALLER_IDENTITY_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace wxgate {

// What a verified client certificate says about its holder.
struct CertificateNames {
  std::vector<std::string> uris;       // SAN URIs (e.g. SPIFFE IDs)
  std::vector<std::string> dns_names;  // SAN DNS names
  // Whether the certificate has a subjectAltName of any kind (also e-mail or IP).
  bool has_subject_alt_names = false;
  std::string common_name;  // the subject CN; empty when none
};

// The identities of a certificate: its SAN URIs and DNS names, or its subject CN
// when it has no SAN at all (RFC 6125: a SAN, when present, supersedes the CN).
std::vector<std::string> CertificateIdentities(const CertificateNames& names);

// The identities a mesh proxy's header names: in Envoy's x-forwarded-client-cert
// form, the URI= values of the last element, else its DNS= values (none when it
// has neither); otherwise the whole value, trimmed. Empty for an empty value.
std::vector<std::string> IdentitiesFromHeader(absl::string_view value);

}  // namespace wxgate

#endif  // WXGATE_AUTH_CALLER_IDENTITY_H_
