// RawService: wxgate.v1.RawService/Call, the escape hatch for endpoints not
// modelled yet. Same account resolution, token handling, retry and error mapping as
// the typed methods; refuses the token endpoints, whose answers are secrets.
#ifndef WXGATE_SERVICE_SERVER_RAW_SERVICE_H_
#define WXGATE_SERVICE_SERVER_RAW_SERVICE_H_

#include "service/server/call_admission.h"
#include "service/server/upstream_call.h"
#include "wxgate/v1/raw.grpc.pb.h"

namespace wxgate {

class RawService : public wxgate::v1::RawService::CallbackService {
 public:
  // Does not own `deps` or `accounts`.
  RawService(const UpstreamDeps& deps, const CallAdmission& admission)
      : deps_(deps), admission_(admission) {}

  grpc::ServerUnaryReactor* Call(grpc::CallbackServerContext* context,
                                 const v1::CallRequest* request,
                                 v1::CallResponse* response) override;

 private:
  const UpstreamDeps& deps_;
  const CallAdmission& admission_;
};

// The HTTP request for a raw call, or INVALID_ARGUMENT / PERMISSION_DENIED.
absl::StatusOr<HttpRequest> BuildRawRequest(const v1::CallRequest& request,
                                            absl::string_view base_url,
                                            const CallCredential& credential,
                                            absl::Duration timeout);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_RAW_SERVICE_H_
