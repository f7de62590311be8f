// The file parts of an upload request (BODY_KIND_MULTIPART): their size, and how a
// client-streamed upload's pieces add up to one request.
//
//   UploadAssembler upload(binding, &request, limit);
//   for (each piece received) {
//     if (absl::Status s = upload.Add(piece); !s.ok()) return s;  // UPLOAD_TOO_LARGE
//   }
//   upload.Finish();  // `request` is now the whole upload
//
// A piece's file contents are appended to the request's; its other fields are
// merged as protobuf merges them (a later piece that sets a field wins).
#ifndef WXGATE_SERVICE_TRANSCODE_UPLOAD_REQUEST_H_
#define WXGATE_SERVICE_TRANSCODE_UPLOAD_REQUEST_H_

#include <google/protobuf/message.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {

// The bytes of every file part of `request`.
size_t UploadBytes(const EndpointBinding& binding, const google::protobuf::Message& request);

// RESOURCE_EXHAUSTED UPLOAD_TOO_LARGE when `bytes` pass `limit`.
absl::Status CheckUploadSize(size_t bytes, size_t limit);

class UploadAssembler {
 public:
  // Does not own `binding` or `request`; both outlive the assembler.
  UploadAssembler(const EndpointBinding& binding, google::protobuf::Message* request, size_t limit);

  // Adds one piece (its file contents are moved out); refuses once the files
  // pass the limit.
  absl::Status Add(google::protobuf::Message& piece);
  // Puts the collected file contents into the request.
  void Finish();

 private:
  const EndpointBinding& binding_;
  google::protobuf::Message* request_;
  const size_t limit_;
  size_t bytes_ = 0;
  // Appended here rather than in the request, which can only copy a string whole.
  std::vector<std::string> contents_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_UPLOAD_REQUEST_H_
