#include "service/call/admitted_service.h"

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/call/call_record.h"
#include "service/call/message_bytes.h"
#include "service/errors/grpc_status.h"

namespace wxgate {
namespace {

using google::protobuf::MethodDescriptor;
using grpc::internal::RpcMethod;

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// Refuses a streaming call before anything is read or written.
class RefusedWrite : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedWrite(const absl::Status& why) { Finish(ToGrpcStatus(why)); }
  void OnDone() override { delete this; }
};

class RefusedRead : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedRead(const absl::Status& why) { Finish(ToGrpcStatus(why)); }
  void OnDone() override { delete this; }
};

RpcMethod::RpcType TypeOf(const MethodDescriptor& method) {
  if (method.client_streaming() && method.server_streaming()) return RpcMethod::BIDI_STREAMING;
  if (method.client_streaming()) return RpcMethod::CLIENT_STREAMING;
  if (method.server_streaming()) return RpcMethod::SERVER_STREAMING;
  return RpcMethod::NORMAL_RPC;
}

}  // namespace

void UnaryCall::Respond(absl::StatusOr<MessagePtr> response) {
  if (!response.ok()) return Finish(ToGrpcStatus(response.status()));
  *response_ = ToByteBuffer(**response);
  Finish(grpc::Status::OK);
}

AdmittedService::AdmittedService(const google::protobuf::ServiceDescriptor& service,
                                 const CallAdmission& admission)
    : service_(service), admission_(admission), handled_(service.method_count(), false) {
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    method_paths_.push_back(absl::StrCat("/", service.full_name(), "/", method.name()));
    AddMethod(new grpc::internal::RpcServiceMethod(method_paths_.back().c_str(), TypeOf(method),
                                                   nullptr));
  }
}

const MethodDescriptor* AdmittedService::Find(absl::string_view name, bool client_streaming,
                                              bool server_streaming) {
  const MethodDescriptor* method = service_.FindMethodByName(std::string(name));
  if (method == nullptr || method->client_streaming() != client_streaming ||
      method->server_streaming() != server_streaming || handled_[method->index()]) {
    problems_.push_back(absl::StrCat(service_.full_name(), "/", name,
                                     ": no such method of that shape, or handled twice"));
    return nullptr;
  }
  handled_[method->index()] = true;
  return method;
}

std::vector<std::string> AdmittedService::Problems() const {
  std::vector<std::string> problems = problems_;
  for (int i = 0; i < service_.method_count(); ++i) {
    if (!handled_[i])
      problems.push_back(absl::StrCat(MethodName(*service_.method(i)), ": no handler"));
  }
  return problems;
}

absl::StatusOr<AdmittedCall> AdmittedService::Admit(const MethodDescriptor& method,
                                                    grpc::CallbackServerContext* context,
                                                    bool names_accounts) {
  AdmittedCall call{.context = context, .method = &method, .deadline = DeadlineOf(*context)};
  const std::string name = MethodName(method);
  if (names_accounts) {
    if (absl::Status known = admission_.Authenticate(*context, name); !known.ok()) return known;
    return call;  // the caller is named once the request says for which accounts
  }
  absl::StatusOr<CallAdmission::Admitted> admitted = admission_.Admit(*context, name);
  if (!admitted.ok()) return admitted.status();
  call.caller = std::move(admitted->caller);
  call.account = admitted->account;
  call.account_refused = std::move(admitted->account_refused);
  call.component = admitted->component;
  call.component_refused = std::move(admitted->component_refused);
  if (std::shared_ptr<CallRecord> record = CallRecordOf(*context)) {
    record->Admitted(call.caller, (call.account ? call.account : call.component)->appid);
  }
  return call;
}

absl::StatusOr<AdmittedService::Parsed> AdmittedService::AdmitAndParse(
    const MethodDescriptor& method, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer& bytes, const AppidsOf& appids_of) {
  absl::StatusOr<AdmittedCall> call = Admit(method, context, appids_of != nullptr);
  if (!call.ok()) return call.status();
  MessagePtr request = NewMessage(method.input_type());
  if (absl::Status parsed = ParseRequest(bytes, request.get()); !parsed.ok()) return parsed;
  if (appids_of) {
    const std::vector<std::string> appids = appids_of(*request);
    absl::StatusOr<std::string> caller =
        appids.empty() ? admission_.Identify(*context, MethodName(method)) : "";
    for (const std::string& appid : appids) {
      if (caller.ok()) caller = admission_.AdmitCallerFor(*context, MethodName(method), appid);
    }
    if (!caller.ok()) return caller.status();
    call->caller = *std::move(caller);
    if (std::shared_ptr<CallRecord> record = CallRecordOf(*context)) {
      record->Admitted(call->caller, absl::StrJoin(appids, ","));
    }
  }
  return Parsed{.call = *std::move(call), .request = std::move(request)};
}

void AdmittedService::HandleUnary(absl::string_view name, UnaryHandler handler,
                                  AppidsOf appids_of) {
  const MethodDescriptor* found = Find(name, false, false);
  if (found == nullptr) return;
  const MethodDescriptor& method = *found;
  const int index = method.index();
  MarkMethodRawCallback(
      index, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                 [this, &method, handler = std::move(handler), appids_of = std::move(appids_of)](
                     grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                     grpc::ByteBuffer* response) -> grpc::ServerUnaryReactor* {
                   absl::StatusOr<Parsed> parsed =
                       AdmitAndParse(method, context, *request, appids_of);
                   if (!parsed.ok()) {
                     auto* reactor = context->DefaultReactor();
                     reactor->Finish(ToGrpcStatus(parsed.status()));
                     return reactor;
                   }
                   auto* call = new UnaryCall(std::move(parsed->call), response);
                   handler(*call, std::move(parsed->request));
                   return call;
                 }));
}

void AdmittedService::HandleServerStream(absl::string_view name, ServerStreamHandler handler,
                                         AppidsOf appids_of) {
  const MethodDescriptor* found = Find(name, false, true);
  if (found == nullptr) return;
  const MethodDescriptor& method = *found;
  const int index = method.index();
  MarkMethodRawCallback(
      index,
      new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
          [this, &method, handler = std::move(handler), appids_of = std::move(appids_of)](
              grpc::CallbackServerContext* context,
              const grpc::ByteBuffer* request) -> grpc::ServerWriteReactor<grpc::ByteBuffer>* {
            absl::StatusOr<Parsed> parsed = AdmitAndParse(method, context, *request, appids_of);
            if (!parsed.ok()) return new RefusedWrite(parsed.status());
            return handler(parsed->call, std::move(parsed->request));
          }));
}

void AdmittedService::HandleClientStream(absl::string_view name, ClientStreamHandler handler) {
  const MethodDescriptor* found = Find(name, true, false);
  if (found == nullptr) return;
  const MethodDescriptor& method = *found;
  const int index = method.index();
  MarkMethodRawCallback(
      index, new grpc::internal::CallbackClientStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                 [this, &method, handler = std::move(handler)](
                     grpc::CallbackServerContext* context,
                     grpc::ByteBuffer* response) -> grpc::ServerReadReactor<grpc::ByteBuffer>* {
                   absl::StatusOr<AdmittedCall> call =
                       Admit(method, context, /*names_accounts=*/false);
                   if (!call.ok()) return new RefusedRead(call.status());
                   return handler(*call, response);
                 }));
}

absl::StatusOr<const Account*> CredentialAccount(const AdmittedCall& call, CredentialKind kind) {
  if (kind != CredentialKind::kComponentAccessToken) {
    if (call.account == nullptr) return call.account_refused;
    return call.account;
  }
  if (call.component == nullptr) return call.component_refused;
  return call.component;
}

}  // namespace wxgate
