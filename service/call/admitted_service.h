// AdmittedService: a grpc::Service built at run time from a proto service, whose
// every method runs the call pipeline's first stages before its handler, the same
// way for every call shape:
//
//   admit (CallAdmission: who calls, for which account; before the payload is read)
//   → parse the request (INVALID_ARGUMENT MALFORMED_REQUEST)      unary, server-streaming
//   → for a request that names its accounts: AdmitCallerFor each appid it names
//   → the method's handler
//
//   AdmittedService tokens(*pool.FindServiceByName("wxgate.v1.TokenService"), admission);
//   tokens.HandleUnary("GetAccessToken", [](UnaryCall& call, MessagePtr request) {
//     … call.Respond(std::move(response));   // or call.Respond(status), once, any thread
//   });
//   events.HandleServerStream("Subscribe", open_subscription, SubscribedAppids);
//   media.HandleClientStream("UploadMedia", start_upload);
//   builder.RegisterService(&tokens);   // once Problems() is empty
//
// It registers like a generated service (server reflection lists it) but works on
// raw bytes, so no handler sees a call that was not admitted, and a caller with no
// key gets UNAUTHENTICATED whatever its payload. Does not own `admission`.
#ifndef WXGATE_SERVICE_CALL_ADMITTED_SERVICE_H_
#define WXGATE_SERVICE_CALL_ADMITTED_SERVICE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/call/call_admission.h"
#include "service/call/upstream_exchange.h"

namespace wxgate {

using MessagePtr = std::unique_ptr<google::protobuf::Message>;

// The service `name` declared in the file of the compiled-in message type `InFile`.
template <typename InFile>
const google::protobuf::ServiceDescriptor& ServiceOf(absl::string_view name) {
  return *InFile::descriptor()->file()->FindServiceByName(std::string(name));
}

// A request of a compiled-in type as that type: NewMessage makes the generated class.
template <typename T>
const T& RequestAs(const google::protobuf::Message& request) {
  return static_cast<const T&>(request);
}

// A call that passed admission.
struct AdmittedCall {
  grpc::CallbackServerContext* context = nullptr;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string caller;
  // Null when the request names its accounts, or (see CallAdmission::Admitted) when
  // the call names none and is admitted for its component alone: `account_refused`.
  const Account* account = nullptr;
  absl::Status account_refused;
  // See CallAdmission::Admitted: the component, or why the call has none.
  const Account* component = nullptr;
  absl::Status component_refused;
  absl::Time deadline = absl::InfiniteFuture();
};

// The account a credential of `kind` comes from: the call's component for a
// component_access_token (or why it has none), else the call's account (or why it
// has none).
absl::StatusOr<const Account*> CredentialAccount(const AdmittedCall& call, CredentialKind kind);

// One admitted unary call, owned by gRPC until it is done. Its handler (or what the
// handler started) answers it once with Respond, from any thread; after that the
// call may be gone, so nothing may touch it.
class UnaryCall : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(AdmittedCall admitted, grpc::ByteBuffer* response)
      : admitted_(std::move(admitted)), response_(response) {}

  const AdmittedCall& admitted() const { return admitted_; }
  // What the caller's cancel aborts (an upstream exchange). Attach before starting it.
  void AbortOnCancel(std::shared_ptr<Cancellable> work) { cancellation_.Attach(std::move(work)); }
  void Respond(absl::StatusOr<MessagePtr> response);

  void OnCancel() override { cancellation_.Cancel(); }
  void OnDone() override { delete this; }
  // Lets gRPC run OnDone and OnCancel on the thread that completes the call instead
  // of waking an executor thread for each call. Both qualify: OnDone only deletes,
  // and OnCancel only asks the transport to abort, which never blocks.
  bool InternalInlineable() override { return true; }

 private:
  const AdmittedCall admitted_;
  grpc::ByteBuffer* const response_;
  CallCancellation cancellation_;
};

class AdmittedService : public grpc::Service {
 public:
  using UnaryHandler = std::function<void(UnaryCall& call, MessagePtr request)>;
  using ServerStreamHandler = std::function<grpc::ServerWriteReactor<grpc::ByteBuffer>*(
      const AdmittedCall& call, MessagePtr request)>;
  // The request is not read yet: the reactor reads it.
  using ClientStreamHandler = std::function<grpc::ServerReadReactor<grpc::ByteBuffer>*(
      const AdmittedCall& call, grpc::ByteBuffer* response)>;
  // The appids a request acts for ({kAllAppids}: every account; empty: knowing the
  // caller is enough).
  using AppidsOf = std::function<std::vector<std::string>(const google::protobuf::Message&)>;

  AdmittedService(const google::protobuf::ServiceDescriptor& service,
                  const CallAdmission& admission);
  AdmittedService(const AdmittedService&) = delete;
  AdmittedService& operator=(const AdmittedService&) = delete;

  // Without `appids_of` the call acts for the account x-wx-appid names (or the default).
  void HandleUnary(absl::string_view method, UnaryHandler handler, AppidsOf appids_of = nullptr);
  void HandleServerStream(absl::string_view method, ServerStreamHandler handler,
                          AppidsOf appids_of = nullptr);
  void HandleClientStream(absl::string_view method, ClientStreamHandler handler);

  // The full name of the gRPC service, e.g. "wechat.mp.v1.UserService".
  const std::string& name() const { return service_.full_name(); }

  // What is wrong with the wiring: methods without a handler, handlers for methods
  // the service does not have (or of another shape). Empty when it may be served.
  std::vector<std::string> Problems() const;

 private:
  // The admitted call with its parsed request, or why it was refused.
  struct Parsed {
    AdmittedCall call;
    MessagePtr request;
  };
  absl::StatusOr<AdmittedCall> Admit(const google::protobuf::MethodDescriptor& method,
                                     grpc::CallbackServerContext* context, bool names_accounts);
  absl::StatusOr<Parsed> AdmitAndParse(const google::protobuf::MethodDescriptor& method,
                                       grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer& bytes, const AppidsOf& appids_of);
  // The method to handle, or null (a problem) when the service has none of that shape.
  const google::protobuf::MethodDescriptor* Find(absl::string_view method, bool client_streaming,
                                                 bool server_streaming);

  const google::protobuf::ServiceDescriptor& service_;
  const CallAdmission& admission_;
  // gRPC keeps a pointer to each method's name, so the names live here.
  std::deque<std::string> method_paths_;
  std::vector<bool> handled_;
  std::vector<std::string> problems_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_ADMITTED_SERVICE_H_
