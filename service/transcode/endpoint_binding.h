// EndpointBinding: how one annotated gRPC method maps to a WeChat endpoint, read
// once from its descriptor's (wxgate.endpoint) option and checked at start-up.
//
//   rpc GetUserInfo(...) { option (wxgate.endpoint) = {get: "/cgi-bin/user/info"}; }
//   → {http_method "GET", path "/cgi-bin/user/info", credential kAccessToken,
//      query_fields [openid, lang], body_fields []}
//
// Uploads (BODY_KIND_MULTIPART) may be client-streaming; downloads (ANSWER_KIND_BINARY,
// JSON_OR_BINARY) are server-streaming; every other endpoint is unary.
//
// Immutable after construction; per-call state lives in the call handler.
#ifndef WXGATE_SERVICE_TRANSCODE_ENDPOINT_BINDING_H_
#define WXGATE_SERVICE_TRANSCODE_ENDPOINT_BINDING_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "service/upstream/credential.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {

struct EndpointBinding {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string http_method;  // "GET" or "POST"
  std::string path;         // may carry a fixed "?action=…"
  CredentialKind credential = CredentialKind::kAccessToken;
  BodyKind body = BODY_KIND_NONE;
  AnswerKind answer = ANSWER_KIND_JSON;
  std::string credential_param;  // "access_token" unless the annotation says otherwise
  std::string appid_param;       // empty: the appid is not filled in
  std::string secret_param;      // for CREDENTIAL_APPID_SECRET
  // Filled with the call's component_appid; empty: not filled in.
  std::string component_appid_param;
  // ANSWER_KIND_URL: where the URL points, and its fragment.
  std::string url_host;
  std::string url_fragment;
  // (key, value) pairs sent unless the request sets the key.
  std::vector<std::pair<std::string, std::string>> fixed_params;
  std::vector<const google::protobuf::FieldDescriptor*> query_fields;
  // JSON keys (BODY_KIND_JSON), form fields (MULTIPART) or the one text field (TEXT).
  std::vector<const google::protobuf::FieldDescriptor*> body_fields;
  // BODY_KIND_MULTIPART: the request's wxgate.file.v1.UploadFile fields, sent as file parts.
  std::vector<const google::protobuf::FieldDescriptor*> file_fields;
  // ANSWER_KIND_BINARY and JSON_OR_BINARY: the response's wxgate.file.v1.FileChunk field.
  const google::protobuf::FieldDescriptor* chunk_field = nullptr;
  // The host WeChat serves the endpoint on; empty: the upstream base URL's.
  std::string host;
  // The method's (wxgate.method_permission_set), else its service's
  // (wxgate.permission_set): an authorizer must have granted one.
  std::vector<int> permission_sets;
  // The method only reads (`option idempotency_level = NO_SIDE_EFFECTS`): sending it
  // again, to another of WeChat's domains, changes nothing.
  bool repeatable = false;
};

// The kind an annotation's credential names (UNSPECIFIED: the access token).
CredentialKind CredentialKindOf(Credential credential);

// Whether the method carries (wxgate.endpoint).
bool HasEndpoint(const google::protobuf::MethodDescriptor& method);

// The gateway's own file messages, matched by name (see proto/wxgate/file/v1/file.proto).
inline constexpr char kUploadFileType[] = "wxgate.file.v1.UploadFile";
inline constexpr char kFileChunkType[] = "wxgate.file.v1.FileChunk";

// The binding of an annotated method, or an error naming the method and what is
// wrong with its annotation.
absl::StatusOr<EndpointBinding> BindEndpoint(const google::protobuf::MethodDescriptor& method);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_ENDPOINT_BINDING_H_
