// ServeUpload: the client-streaming side of an upload endpoint (BODY_KIND_MULTIPART
// on a `stream` request).
//
//   return ServeUpload(context, deps, admission, binding, response);
//   ← the caller sends the request in pieces (UploadAssembler: file contents are
//     appended, other fields merged), then half-closes
//   → one multipart request to WeChat, one response
//
// The caller is admitted before any piece is read, and the upload is refused with
// RESOURCE_EXHAUSTED UPLOAD_TOO_LARGE as soon as its files pass
// upstream.max_upload_bytes, so a refused caller never makes the gateway buffer much.
#ifndef WXGATE_SERVICE_SERVER_UPLOAD_REACTOR_H_
#define WXGATE_SERVICE_SERVER_UPLOAD_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include "service/server/call_admission.h"
#include "service/server/upstream_call.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

grpc::ServerReadReactor<grpc::ByteBuffer>* ServeUpload(grpc::CallbackServerContext* context,
                                                       const UpstreamDeps& deps,
                                                       const CallAdmission& admission,
                                                       const EndpointBinding& binding,
                                                       grpc::ByteBuffer* response);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_UPLOAD_REACTOR_H_
