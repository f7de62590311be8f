// RawService: wxgate.v1.RawService/Call, the escape hatch for endpoints not
// modelled yet, on the same pipeline as the typed methods: admission, the
// credential by kind, the stale-credential retry and the error mapping. The request
// is checked (TranscodeRawCall) before any credential is fetched for it; the answer
// is WeChat's JSON object as text.
//
//   absl::StatusOr<std::unique_ptr<AdmittedService>> raw = ServeRawCalls(deps, admission);
//   builder.RegisterService(raw->get());
//
// Does not own `deps` or `admission`.
#ifndef WXGATE_SERVICE_SERVER_RAW_SERVICE_H_
#define WXGATE_SERVICE_SERVER_RAW_SERVICE_H_

#include <memory>

#include "service/call/admitted_service.h"
#include "service/call/upstream_exchange.h"

namespace wxgate {

std::unique_ptr<AdmittedService> ServeRawCalls(const UpstreamDeps& deps,
                                               const CallAdmission& admission);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_RAW_SERVICE_H_
