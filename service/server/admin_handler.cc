#include "service/server/admin_handler.h"

#include "service/callback/request_target.h"

namespace wxgate {

void AdminHandler::Handle(const CallbackRequest& request, Respond respond) const {
  if (ParseRequestTarget(request.target).path != "/metrics") {
    return respond({404, "text/plain; charset=utf-8", "the admin listener serves /metrics\n"});
  }
  if (request.method != "GET") return respond({405, "text/plain; charset=utf-8", "GET only\n"});
  respond({200, "text/plain; version=0.0.4; charset=utf-8", GlobalMetrics().Exposition(read_())});
}

}  // namespace wxgate
