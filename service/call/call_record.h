// CallRecord: what the `call` log line says about one gRPC call, filled in as the
// call goes and found from its server context by whoever learns something:
//
//   CallLog (the interceptor) opens it when the metadata arrives: request id, trace
//   AdmittedService adds who called and for which appid:   record->Admitted(…)
//   the Reply handler adds the trace of the push it answers: record->Answers(…)
//   CallLog writes the line when the status goes out, then closes it.
//
//   if (std::shared_ptr<CallRecord> record = CallRecordOf(*context)) { … }
//
// CallRecordOf is null for a call no CallLog opened (tests that serve without the
// interceptor), so every user checks. Thread-safe: a call's stages run on any
// thread.
#ifndef WXGATE_SERVICE_CALL_CALL_RECORD_H_
#define WXGATE_SERVICE_CALL_CALL_RECORD_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <mutex>
#include <string>

#include "service/observe/trace_context.h"

namespace wxgate {

class CallRecord {
 public:
  CallRecord(std::string request_id, TraceContext trace)
      : request_id_(std::move(request_id)), trace_(std::move(trace)) {}
  CallRecord(const CallRecord&) = delete;
  CallRecord& operator=(const CallRecord&) = delete;

  const std::string& request_id() const { return request_id_; }
  const TraceContext& trace() const { return trace_; }

  // The admitted caller and the appid(s) the call acts for, comma-separated.
  void Admitted(std::string caller, std::string appid);
  // The trace id of the push this call answers (a Reply).
  void Answers(std::string push_trace_id);

  struct Admission {
    std::string caller;
    std::string appid;
    std::string push_trace_id;
  };
  Admission admission() const;

 private:
  const std::string request_id_;
  const TraceContext trace_;
  // std::mutex, not absl::Mutex: one record is made per call, and Debian's Abseil
  // pays deadlock-detection bookkeeping for each Mutex it creates and destroys.
  mutable std::mutex mu_;
  Admission admission_;  // guarded by mu_
};

// The record CallLog opened for the call of `context`, or null.
std::shared_ptr<CallRecord> CallRecordOf(const grpc::ServerContextBase& context);

// For CallLog: a call's record is findable between these two.
void OpenCallRecord(const grpc::ServerContextBase* context, std::shared_ptr<CallRecord> record);
void CloseCallRecord(const grpc::ServerContextBase* context);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_CALL_RECORD_H_
