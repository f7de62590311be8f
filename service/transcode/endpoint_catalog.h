// DiscoverEndpoints: every proto service compiled into the binary whose methods
// carry (wxgate.endpoint), found in the generated descriptor pool. Linking a new
// annotated .proto is all it takes for the gateway to serve it.
#ifndef WXGATE_SERVICE_TRANSCODE_ENDPOINT_CATALOG_H_
#define WXGATE_SERVICE_TRANSCODE_ENDPOINT_CATALOG_H_

#include <google/protobuf/descriptor.h>

#include <vector>

#include "absl/status/statusor.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

struct ServiceEndpoints {
  const google::protobuf::ServiceDescriptor* service = nullptr;
  std::vector<EndpointBinding> bindings;
};

// Sorted by service name. Fails on the first annotation that cannot be served.
absl::StatusOr<std::vector<ServiceEndpoints>> DiscoverEndpoints();

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_ENDPOINT_CATALOG_H_
