#include "service/upstream/curl_errors.h"

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {

absl::Status CurlFailure(CURLcode code, absl::string_view detail, absl::string_view url_host,
                         absl::Duration timeout, bool connected) {
  using Code = absl::StatusCode;
  const std::string why =
      absl::StrCat(" (", detail.empty() ? curl_easy_strerror(code) : detail, ")");
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return GatewayError(Reason::kUpstreamUnreachable,
                          absl::StrCat("cannot connect to upstream ", url_host, why,
                                       ": check upstream.base_url and the network"));
    case CURLE_OPERATION_TIMEDOUT:
      return GatewayError(Reason::kUpstreamTimeout,
                          absl::StrCat("upstream ", url_host,
                                       connected ? " did not answer within "
                                                 : " did not accept a connection within ",
                                       absl::FormatDuration(timeout), why));
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return GatewayError(Reason::kUpstreamTls,
                          absl::StrCat("TLS with upstream ", url_host, " failed", why,
                                       ": check upstream.ca_file and the server's certificate"));
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return GatewayError(Reason::kUpstreamTruncated,
                          absl::StrCat("upstream ", url_host,
                                       " closed the connection before a complete answer", why));
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
      return GatewayError(Reason::kUpstreamTooLarge,
                          absl::StrCat("the answer of upstream ", url_host,
                                       " exceeds upstream.max_answer_bytes", why));
    default:
      return GatewayError(Reason::kUpstreamTransport,
                          absl::StrCat("transfer from upstream ", url_host, " failed", why));
  }
}

}  // namespace wxgate
