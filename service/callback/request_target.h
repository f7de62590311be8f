// An HTTP request target split into its path and decoded query parameters:
//
//   ParseRequestTarget("/wechat/callback/wx1?signature=ab&nonce=1%2B2")
//     -> {path: "/wechat/callback/wx1", query: {signature: "ab", nonce: "1+2"}}
//
// In the query "+" decodes to a space; everywhere "%XY" decodes to its byte; a malformed escape is
// kept as written. A parameter given twice keeps its first value.
#ifndef WXGATE_SERVICE_CALLBACK_REQUEST_TARGET_H_
#define WXGATE_SERVICE_CALLBACK_REQUEST_TARGET_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace wxgate {

struct RequestTarget {
  std::string path;
  absl::flat_hash_map<std::string, std::string> query;

  // The parameter's value, or "" when absent.
  std::string Param(absl::string_view name) const;
};

RequestTarget ParseRequestTarget(absl::string_view target);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_REQUEST_TARGET_H_
