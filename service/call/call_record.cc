#include "service/call/call_record.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace wxgate {
namespace {

// By server context, which gRPC keeps for the whole call. A map and not a field
// of the context: gRPC's context has no slot for the application's own state.
struct Registry {
  absl::Mutex mu;
  absl::flat_hash_map<const grpc::ServerContextBase*, std::shared_ptr<CallRecord>> records
      ABSL_GUARDED_BY(mu);
};

// Shards, so that concurrent calls seldom wait on each other's lock.
constexpr size_t kShards = 16;

Registry& Records(const grpc::ServerContextBase* context) {
  static Registry* registries = new Registry[kShards];
  return registries[absl::Hash<const grpc::ServerContextBase*>{}(context) % kShards];
}

}  // namespace

void CallRecord::Admitted(std::string caller, std::string appid) {
  std::lock_guard lock(mu_);
  admission_.caller = std::move(caller);
  admission_.appid = std::move(appid);
}

void CallRecord::Answers(std::string push_trace_id) {
  std::lock_guard lock(mu_);
  admission_.push_trace_id = std::move(push_trace_id);
}

CallRecord::Admission CallRecord::admission() const {
  std::lock_guard lock(mu_);
  return admission_;
}

std::shared_ptr<CallRecord> CallRecordOf(const grpc::ServerContextBase& context) {
  Registry& registry = Records(&context);
  absl::MutexLock lock(&registry.mu);
  auto it = registry.records.find(&context);
  return it == registry.records.end() ? nullptr : it->second;
}

void OpenCallRecord(const grpc::ServerContextBase* context, std::shared_ptr<CallRecord> record) {
  Registry& registry = Records(context);
  absl::MutexLock lock(&registry.mu);
  registry.records[context] = std::move(record);
}

void CloseCallRecord(const grpc::ServerContextBase* context) {
  Registry& registry = Records(context);
  absl::MutexLock lock(&registry.mu);
  registry.records.erase(context);
}

}  // namespace wxgate
