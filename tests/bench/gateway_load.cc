#include "tests/bench/gateway_load.h"

#include <grpcpp/alarm.h>

#include <condition_variable>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "wechat/mp/v1/user.grpc.pb.h"

namespace wxgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::wechat::mp::v1::GetUserInfoRequest;
using ::wechat::mp::v1::GetUserInfoResponse;
using ::wechat::mp::v1::UserService;

constexpr char kOpenid[] = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The code and the start of the message: enough to tell kinds apart.
std::string ErrorKind(const grpc::Status& status) {
  return absl::StrCat("gRPC code ", status.error_code(), ": ",
                      status.error_message().substr(0, 60));
}

// The delay a refusal's google.rpc.RetryInfo asks for, if it has one.
std::optional<std::chrono::milliseconds> RetryDelayOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const auto& detail : details.details()) {
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&retry)) {
      return std::chrono::milliseconds(retry.retry_delay().seconds() * 1000 +
                                       retry.retry_delay().nanos() / 1'000'000);
    }
  }
  return std::nullopt;
}

GetUserInfoRequest UserInfoRequest() {
  GetUserInfoRequest request;
  request.set_openid(kOpenid);
  return request;
}

void Judge(const grpc::Status& status, const GetUserInfoResponse& response,
           Clock::time_point started, LoadResult& result) {
  if (!status.ok()) {
    ++result.errors[ErrorKind(status)];
  } else if (response.openid() != kOpenid) {
    ++result.errors["wrong answer"];
  } else {
    result.ok.Add(Clock::now() - started);
  }
}

// Counts the closed-loop slots still calling; the load thread waits for zero.
class Countdown {
 public:
  explicit Countdown(int count) : count_(count) {}
  void Done() {
    std::lock_guard lock(mu_);
    if (--count_ == 0) zero_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    zero_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable zero_;
  int count_;
};

// One slot of a closed loop: a call always in flight until the end, each completion
// (on a gRPC thread) starting the next. Its result is touched by one call at a time.
struct Slot {
  UserService::Stub* stub = nullptr;
  Clock::time_point end;
  std::chrono::milliseconds deadline{0};
  Countdown* countdown = nullptr;
  GetUserInfoRequest request = UserInfoRequest();
  GetUserInfoResponse response;
  std::unique_ptr<grpc::ClientContext> context;
  Clock::time_point started;
  LoadResult result;
  grpc::Alarm alarm;  // holds a refused slot back for its RetryInfo delay

  void Call() {
    context = std::make_unique<grpc::ClientContext>();
    started = Clock::now();
    context->set_deadline(std::chrono::system_clock::now() + deadline);
    response.Clear();
    stub->async()->GetUserInfo(context.get(), &request, &response,
                               [this](grpc::Status status) { Answered(status); });
  }

  // A refusal with RetryInfo is counted apart and retried when it says, as a
  // well-behaved client would; anything else is judged and followed at once.
  void Answered(const grpc::Status& status) {
    std::optional<std::chrono::milliseconds> retry_delay = RetryDelayOf(status);
    if (retry_delay) {
      ++result.refused;
    } else {
      Judge(status, response, started, result);
    }
    if (Clock::now() >= end) return countdown->Done();
    if (!retry_delay) return Call();
    alarm.Set(std::chrono::system_clock::now() + *retry_delay, [this](bool) { Call(); });
  }
};

}  // namespace

GatewayLoad::GatewayLoad(const std::string& target, int channels) {
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("wxgate.bench.channel", i);  // distinct arguments: distinct connections
    channels_.push_back(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments));
  }
}

bool GatewayLoad::AwaitServing(std::chrono::seconds timeout) {
  auto health = Health::NewStub(channels_[0]);
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  HealthCheckResponse response;
  return health->Check(&context, HealthCheckRequest(), &response).ok() &&
         response.status() == HealthCheckResponse::SERVING;
}

LoadResult GatewayLoad::SerialHealth(int calls) {
  auto health = Health::NewStub(channels_[0]);
  LoadResult result;
  const HealthCheckRequest request;
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    HealthCheckResponse response;
    const Clock::time_point started = Clock::now();
    grpc::Status status = health->Check(&context, request, &response);
    if (!status.ok()) {
      ++result.errors[ErrorKind(status)];
    } else if (response.status() != HealthCheckResponse::SERVING) {
      ++result.errors["not SERVING"];
    } else {
      result.ok.Add(Clock::now() - started);
    }
  }
  result.seconds = SecondsSince(start);
  return result;
}

LoadResult GatewayLoad::SerialUserInfo(int calls) {
  auto users = UserService::NewStub(channels_[0]);
  LoadResult result;
  const GetUserInfoRequest request = UserInfoRequest();
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    GetUserInfoResponse response;
    const Clock::time_point started = Clock::now();
    Judge(users->GetUserInfo(&context, request, &response), response, started, result);
  }
  result.seconds = SecondsSince(start);
  return result;
}

LoadResult GatewayLoad::ClosedLoopUserInfo(int concurrency, std::chrono::milliseconds duration,
                                           std::chrono::milliseconds deadline) {
  std::vector<std::unique_ptr<UserService::Stub>> stubs;
  for (const auto& channel : channels_) stubs.push_back(UserService::NewStub(channel));
  Countdown countdown(concurrency);
  std::vector<std::unique_ptr<Slot>> slots;
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < concurrency; ++i) {
    slots.push_back(std::make_unique<Slot>());
    Slot& slot = *slots.back();
    slot.stub = stubs[i % stubs.size()].get();
    slot.end = start + duration;
    slot.deadline = deadline;
    slot.countdown = &countdown;
  }
  for (auto& slot : slots) slot->Call();
  countdown.Wait();
  LoadResult result;
  result.seconds = SecondsSince(start);
  for (const auto& slot : slots) result.Merge(slot->result);
  return result;
}

}  // namespace wxgate::bench
