// ServeDownload: the server-streaming side of a download endpoint
// (ANSWER_KIND_BINARY, ANSWER_KIND_JSON_OR_BINARY).
//
//   return ServeDownload(admitted_call, deps, binding, request);
//   → the caller receives the file as responses whose binding.chunk_field holds
//     64 KiB of it each (the first also its content type, name and size), or,
//     when WeChat answered JSON, one response read from it.
//
// The call was admitted and its request parsed (AdmittedService); the credential,
// the retry on a stale one and the caller's cancel work as for a unary call
// (UpstreamExchange). The file is held in memory up to
// upstream.max_answer_bytes while it is written out, one message at a time as
// the caller takes them, so a slow reader costs no more than that.
#ifndef WXGATE_SERVICE_SERVER_DOWNLOAD_REACTOR_H_
#define WXGATE_SERVICE_SERVER_DOWNLOAD_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include "service/call/admitted_service.h"
#include "service/call/upstream_exchange.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

// The bytes of file data each response carries.
inline constexpr size_t kDownloadChunkBytes = 64 << 10;

grpc::ServerWriteReactor<grpc::ByteBuffer>* ServeDownload(const AdmittedCall& call,
                                                          const UpstreamDeps& deps,
                                                          const EndpointBinding& binding,
                                                          const google::protobuf::Message& request);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_DOWNLOAD_REACTOR_H_
