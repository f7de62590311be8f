// ServeUpload: the client-streaming side of an upload endpoint (BODY_KIND_MULTIPART
// on a `stream` request).
//
//   return ServeUpload(admitted_call, deps, binding, response);
//   ← the caller sends the request in pieces (UploadAssembler: file contents are
//     appended, other fields merged), then half-closes
//   → one multipart request to WeChat (UpstreamExchange), one response
//
// AdmittedService admitted the caller before any piece is read; the upload is
// refused with RESOURCE_EXHAUSTED UPLOAD_TOO_LARGE as soon as its files pass
// upstream.max_upload_bytes, so a refused caller never makes the gateway buffer much.
#ifndef WXGATE_SERVICE_SERVER_UPLOAD_REACTOR_H_
#define WXGATE_SERVICE_SERVER_UPLOAD_REACTOR_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include "service/call/admitted_service.h"
#include "service/call/upstream_exchange.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

grpc::ServerReadReactor<grpc::ByteBuffer>* ServeUpload(const AdmittedCall& call,
                                                       const UpstreamDeps& deps,
                                                       const EndpointBinding& binding,
                                                       grpc::ByteBuffer* response);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_UPLOAD_REACTOR_H_
