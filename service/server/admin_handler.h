// AdminHandler serves the admin listener (server.admin_listen): GET /metrics is the
// Prometheus exposition of GlobalMetrics() with the gauges `read` gives at scrape
// time; anything else is 404 (or 405 for another method on /metrics).
#ifndef WXGATE_SERVICE_SERVER_ADMIN_HANDLER_H_
#define WXGATE_SERVICE_SERVER_ADMIN_HANDLER_H_

#include <functional>
#include <vector>

#include "service/callback/http_handler.h"
#include "service/observe/metrics.h"

namespace wxgate {

class AdminHandler final : public HttpHandler {
 public:
  explicit AdminHandler(std::function<std::vector<Sample>()> read) : read_(std::move(read)) {}

  void Handle(const CallbackRequest& request, Respond respond) const override;

 private:
  const std::function<std::vector<Sample>()> read_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_ADMIN_HANDLER_H_
