// ServeAdmin: wxgate.v1.AdminService, the gateway's status for operators, admitted
// like every call (AdmittedService) and cut to the caller's policy:
//
//   std::unique_ptr<AdmittedService> admin = ServeAdmin(report, admission);
//   builder.RegisterService(admin.get());
//   GetStatus from a caller allowed wxgate.v1.AdminService/* for wx1 only
//     -> the status with wx1's account, pushes, subscribers and events
//
// Does not own `report` or `admission`.
#ifndef WXGATE_SERVICE_SERVER_ADMIN_SERVICE_H_
#define WXGATE_SERVICE_SERVER_ADMIN_SERVICE_H_

#include <memory>

#include "service/call/admitted_service.h"
#include "service/server/status_report.h"

namespace wxgate {

// The method both the gRPC service and the admin listener's /status.json admit.
inline constexpr absl::string_view kGetStatusMethod = "wxgate.v1.AdminService/GetStatus";

std::unique_ptr<AdmittedService> ServeAdmin(const StatusReport& report,
                                            const CallAdmission& admission);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_ADMIN_SERVICE_H_
