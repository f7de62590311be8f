// EndpointService: the AdmittedService of one proto service whose methods carry
// (wxgate.endpoint), with no C++ written per method.
//
//   absl::StatusOr<std::unique_ptr<AdmittedService>> user_service =
//       ServeEndpoints(user_endpoints, deps, admission);
//   builder.RegisterService(user_service->get());
//
// Each admitted, parsed call is transcoded (TranscodeRequest) and sent through an
// UpstreamExchange, and WeChat's answer is read into the method's output type:
//   unary           one request, one response (uploads whose request fits in one message too)
//   ANSWER_KIND_URL the URL the request makes, without calling WeChat
//   downloads       the file streamed back in chunks (ServeDownload)
//   uploads         a client-streamed request assembled first (ServeUpload)
// Fails when a method of the service has no endpoint. Does not own `endpoints`,
// `deps` or `admission`; the gateway keeps them alive longer than the server.
#ifndef WXGATE_SERVICE_SERVER_ENDPOINT_SERVICE_H_
#define WXGATE_SERVICE_SERVER_ENDPOINT_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "service/call/admitted_service.h"
#include "service/call/call_admission.h"
#include "service/call/upstream_exchange.h"
#include "service/transcode/endpoint_catalog.h"

namespace wxgate {

absl::StatusOr<std::unique_ptr<AdmittedService>> ServeEndpoints(const ServiceEndpoints& endpoints,
                                                                const UpstreamDeps& deps,
                                                                const CallAdmission& admission);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_ENDPOINT_SERVICE_H_
