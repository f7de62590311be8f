#include "service/server/health_service.h"

#include <utility>

namespace wxgate {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream: its current status, then NOT_SERVING and the end once the
// gateway drains. One write at a time; gRPC calls the On* methods.
class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthService& health, HealthCheckResponse::ServingStatus status, bool draining)
      : health_(health), draining_(draining), told_(draining) {
    absl::MutexLock lock(&mu_);
    Write(status);
  }

  void Drained() {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    if (!writing_) Next();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) return FinishOnce(grpc::Status::CANCELLED);
    Next();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (!writing_) FinishOnce(grpc::Status::CANCELLED);  // else OnWriteDone(false) does
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&health_.mu_);
      health_.watchers_.erase(this);
      health_.mu_.Await(absl::Condition(
          +[](int* pins) { return *pins == 0; }, &pins_));
    }
    delete this;
  }

  int pins_ = 0;  // Drain() is calling Drained(); guarded by health_.mu_

 private:
  // After a write: NOT_SERVING once draining, then the end of the stream.
  void Next() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!draining_ || finished_) return;
    if (!told_) {
      told_ = true;
      return Write(HealthCheckResponse::NOT_SERVING);
    }
    FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is stopping"));
  }

  void Write(HealthCheckResponse::ServingStatus status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    response_.set_status(status);
    writing_ = true;
    StartWrite(&response_);
  }

  void FinishOnce(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  HealthService& health_;
  absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_);
  bool told_ ABSL_GUARDED_BY(mu_);  // NOT_SERVING was sent
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
};

HealthService::HealthService(std::vector<std::string> services)
    : services_(std::make_move_iterator(services.begin()),
                std::make_move_iterator(services.end())) {}

HealthService::~HealthService() = default;

HealthCheckResponse::ServingStatus HealthService::StatusOf(const std::string& service) const {
  if (!service.empty() && !services_.contains(service)) return HealthCheckResponse::SERVICE_UNKNOWN;
  return draining_ ? HealthCheckResponse::NOT_SERVING : HealthCheckResponse::SERVING;
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::ReaderMutexLock lock(&mu_);
  const HealthCheckResponse::ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such service"));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request) {
  absl::MutexLock lock(&mu_);
  auto* watcher = new Watcher(*this, StatusOf(request->service()), draining_);
  watchers_.insert(watcher);
  return watcher;
}

void HealthService::Drain() {
  std::vector<Watcher*> watchers;
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    for (Watcher* watcher : watchers_) {
      ++watcher->pins_;
      watchers.push_back(watcher);
    }
  }
  // Outside mu_: a watcher's OnDone takes it, and waits until it is unpinned.
  for (Watcher* watcher : watchers) {
    watcher->Drained();
    absl::MutexLock lock(&mu_);
    --watcher->pins_;
  }
}

}  // namespace wxgate
