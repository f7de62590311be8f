#include "service/server/admin_service.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "wxgate/v1/admin.pb.h"

namespace wxgate {

std::unique_ptr<AdmittedService> ServeAdmin(const StatusReport& report,
                                            const CallAdmission& admission) {
  auto service =
      std::make_unique<AdmittedService>(ServiceOf<v1::GetStatusRequest>("AdminService"), admission);
  service->HandleUnary(
      "GetStatus",
      [&report, &admission](UnaryCall& call, MessagePtr) {
        const grpc::ServerContextBase& context = *call.admitted().context;
        absl::StatusOr<CallAdmission::AdmittedForSome> admitted =
            admission.AdmitForSome(CredentialsOf(context, admission.identity_header()),
                                   kGetStatusMethod, report.Appids(), &context);
        if (!admitted.ok()) return call.Respond(admitted.status());
        const std::vector<std::string>& visible = admitted->appids;
        call.Respond(std::make_unique<v1::GetStatusResponse>(
            report.Build([&visible](absl::string_view appid) {
              return std::find(visible.begin(), visible.end(), appid) != visible.end() ||
                     std::find(visible.begin(), visible.end(), kAllAppids) != visible.end();
            })));
      },
      // Which accounts it shows depends on the caller's policy, decided above.
      [](const google::protobuf::Message&) { return std::vector<std::string>(); });
  return service;
}

}  // namespace wxgate
