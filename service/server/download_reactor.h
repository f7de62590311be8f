// ServeDownload: the server-streaming side of a download endpoint
// (ANSWER_KIND_BINARY, ANSWER_KIND_JSON_OR_BINARY).
//
//   return ServeDownload(context, deps, admission, binding, request_bytes);
//   → the caller receives the file as responses whose binding.chunk_field holds
//     64 KiB of it each (the first also its content type, name and size), or,
//     when WeChat answered JSON, one response read from it.
//
// Admission, the token, the retry on a stale token and the caller's cancel work
// as for a unary call (UpstreamCall). The file is held in memory up to
// upstream.max_answer_bytes while it is written out, one message at a time as
// the caller takes them, so a slow reader costs no more than that.
#ifndef WXGATE_SERVICE_SERVER_DOWNLOAD_REACTOR_H_
#define WXGATE_SERVICE_SERVER_DOWNLOAD_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include "service/server/call_admission.h"
#include "service/server/upstream_call.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

// The bytes of file data each response carries.
inline constexpr size_t kDownloadChunkBytes = 64 << 10;

grpc::ServerWriteReactor<grpc::ByteBuffer>* ServeDownload(grpc::CallbackServerContext* context,
                                                          const UpstreamDeps& deps,
                                                          const CallAdmission& admission,
                                                          const EndpointBinding& binding,
                                                          const grpc::ByteBuffer& request_bytes);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_DOWNLOAD_REACTOR_H_
