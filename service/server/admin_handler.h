// AdminHandler serves the admin listener (server.admin_listen):
//
//   GET /metrics      Prometheus' text format: GlobalMetrics() with the gauges `read`
//                     gives at scrape time. No credentials: for scrapers.
//   GET /status       the status page (HTML), and the files it loads:
//   GET /status.css   the page's style
//   GET /status.js    the page's script, which polls /status.json
//   GET /status.json  the status (wxgate.v1.GetStatusResponse) in proto3 JSON,
//                     admitted like the gRPC method wxgate.v1.AdminService/GetStatus:
//                     `Authorization: Bearer <key>` or access.identity_header;
//                     401 unknown, 403 not allowed, 429 (Retry-After) over its rate
//                     limit; cut to the appids the caller's policy allows.
//
// Anything else is 404, another method 405. The page's files are built into the
// binary (status_page_files.h) and hold no data. Every answer says not to cache it
// and, by its Content-Security-Policy, that the page loads nothing from elsewhere.
// Does not own the report or the admission; the admission holds the access rules in
// force (a SIGHUP reload applies here too).
#ifndef WXGATE_SERVICE_SERVER_ADMIN_HANDLER_H_
#define WXGATE_SERVICE_SERVER_ADMIN_HANDLER_H_

#include <functional>
#include <vector>

#include "service/call/call_admission.h"
#include "service/callback/http_handler.h"
#include "service/observe/metrics.h"
#include "service/server/status_report.h"

namespace wxgate {

class AdminHandler final : public HttpHandler {
 public:
  AdminHandler(std::function<std::vector<Sample>()> read, const StatusReport& report,
               const CallAdmission& admission)
      : read_(std::move(read)), report_(report), admission_(admission) {}

  void Handle(const CallbackRequest& request, Respond respond) const override;

 private:
  CallbackAnswer Status(const CallbackRequest& request) const;

  const std::function<std::vector<Sample>()> read_;
  const StatusReport& report_;
  const CallAdmission& admission_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_ADMIN_HANDLER_H_
