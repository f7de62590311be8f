// HealthService is the gateway's grpc.health.v1.Health: "" and every service it
// serves are SERVING until Drain(), NOT_SERVING after; other names are NOT_FOUND
// (Check) or SERVICE_UNKNOWN (Watch). gRPC's default health service keeps Watch
// streams open through a shutdown, so one watching client would hold a draining
// gateway until its deadline; here Drain() tells each watcher NOT_SERVING and then
// ends its stream (UNAVAILABLE).
//
//   HealthService health({"wechat.mp.v1.UserService", …});
//   builder.RegisterService(&health);
//   health.Drain();   // when the gateway starts to stop
#ifndef WXGATE_SERVICE_SERVER_HEALTH_SERVICE_H_
#define WXGATE_SERVICE_SERVER_HEALTH_SERVICE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace wxgate {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  explicit HealthService(std::vector<std::string> services);
  ~HealthService() override;

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  void Drain();

 private:
  class Watcher;
  // `service`'s status now.
  grpc::health::v1::HealthCheckResponse::ServingStatus StatusOf(const std::string& service) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const std::set<std::string> services_;
  mutable absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_HEALTH_SERVICE_H_
