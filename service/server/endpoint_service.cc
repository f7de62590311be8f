#include "service/server/endpoint_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/server/download_reactor.h"
#include "service/server/endpoint_call.h"
#include "service/server/upload_reactor.h"

namespace wxgate {

absl::StatusOr<std::unique_ptr<AdmittedService>> ServeEndpoints(const ServiceEndpoints& endpoints,
                                                                const UpstreamDeps& deps,
                                                                const CallAdmission& admission) {
  auto service = std::make_unique<AdmittedService>(*endpoints.service, admission);
  for (const EndpointBinding& binding : endpoints.bindings) {
    const std::string& name = binding.method->name();
    if (binding.chunk_field != nullptr) {
      service->HandleServerStream(name,
                                  [&binding, &deps](const AdmittedCall& call, MessagePtr request) {
                                    return ServeDownload(call, deps, binding, *request);
                                  });
    } else if (binding.method->client_streaming()) {
      service->HandleClientStream(
          name, [&binding, &deps](const AdmittedCall& call, grpc::ByteBuffer* response) {
            return ServeUpload(call, deps, binding, response);
          });
    } else {
      service->HandleUnary(name, [&binding, &deps](UnaryCall& call, MessagePtr request) {
        CallEndpoint(binding, deps, call, *request, [&call](absl::StatusOr<MessagePtr> answer) {
          call.Respond(std::move(answer));
        });
      });
    }
  }
  if (std::vector<std::string> problems = service->Problems(); !problems.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        endpoints.service->full_name(), " cannot be served: ", absl::StrJoin(problems, "; ")));
  }
  return service;
}

}  // namespace wxgate
