#include "service/transcode/endpoint_catalog.h"

#include <google/protobuf/descriptor_database.h>

#include <algorithm>
#include <string>

namespace wxgate {

absl::StatusOr<std::vector<ServiceEndpoints>> DiscoverEndpoints() {
  using google::protobuf::DescriptorPool;
  std::vector<std::string> files;
  DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::vector<ServiceEndpoints> found;
  for (const std::string& name : files) {
    const google::protobuf::FileDescriptor* file =
        DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr) continue;
    for (int s = 0; s < file->service_count(); ++s) {
      ServiceEndpoints entry{.service = file->service(s)};
      for (int m = 0; m < entry.service->method_count(); ++m) {
        const auto& method = *entry.service->method(m);
        if (!HasEndpoint(method)) continue;
        absl::StatusOr<EndpointBinding> binding = BindEndpoint(method);
        if (!binding.ok()) return binding.status();
        entry.bindings.push_back(*std::move(binding));
      }
      if (!entry.bindings.empty()) found.push_back(std::move(entry));
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.service->full_name() < b.service->full_name();
  });
  return found;
}

}  // namespace wxgate
