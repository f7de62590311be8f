#include "service/transcode/request_transcoder.h"

#include <string>
#include <vector>

#include "service/transcode/multipart_body.h"
#include "service/transcode/wechat_json.h"

namespace wxgate {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using nlohmann::json;

std::string QueryValue(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

bool IsSet(const Message& message, const FieldDescriptor& field) {
  const auto& r = *message.GetReflection();
  return field.is_repeated() ? r.FieldSize(message, &field) > 0 : r.HasField(message, &field);
}

// The file parts, then the form fields, of a multipart request.
std::vector<FormPart> FormParts(const EndpointBinding& binding, const Message& request) {
  std::vector<FormPart> parts;
  const auto& r = *request.GetReflection();
  for (const FieldDescriptor* field : binding.file_fields) {
    if (!r.HasField(request, field)) continue;
    const Message& file = r.GetMessage(request, field);
    const auto& fr = *file.GetReflection();
    const auto& type = *file.GetDescriptor();
    FormPart part{.name = WeChatKey(*field),
                  .filename = fr.GetString(file, type.FindFieldByName("filename")),
                  .content_type = fr.GetString(file, type.FindFieldByName("content_type")),
                  .content = fr.GetString(file, type.FindFieldByName("content"))};
    // WeChat tells a file part by its file name, so it is never left out.
    if (part.filename.empty()) part.filename = part.name;
    parts.push_back(std::move(part));
  }
  for (const FieldDescriptor* field : binding.body_fields) {
    if (IsSet(request, *field)) {
      parts.push_back(
          {.name = WeChatKey(*field), .content = QueryValue(FieldToWeChatJson(request, *field))});
    }
  }
  return parts;
}

}  // namespace

absl::StatusOr<UpstreamRequest> TranscodeRequest(const EndpointBinding& binding,
                                                 const Message& request) {
  UpstreamRequest out{.method = binding.http_method,
                      .host = binding.host,
                      .path = binding.path,
                      .defaults = binding.fixed_params,
                      .credential = binding.credential,
                      .credential_param = binding.credential_param,
                      .appid_param = binding.appid_param,
                      .secret_param = binding.secret_param,
                      .permission_sets = binding.permission_sets,
                      .modelled = true,
                      .repeatable = binding.repeatable};
  for (const FieldDescriptor* field : binding.query_fields) {
    if (!IsSet(request, *field)) continue;
    json value = FieldToWeChatJson(request, *field);
    if (value.is_array()) {
      for (const json& item : value) out.query.emplace_back(WeChatKey(*field), QueryValue(item));
    } else {
      out.query.emplace_back(WeChatKey(*field), QueryValue(value));
    }
  }
  switch (binding.body) {
    case BODY_KIND_JSON:
      out.json_body = json::object();
      for (const FieldDescriptor* field : binding.body_fields) {
        if (IsSet(request, *field)) {
          (*out.json_body)[WeChatKey(*field)] = FieldToWeChatJson(request, *field);
        }
      }
      break;
    case BODY_KIND_MULTIPART: {
      absl::StatusOr<MultipartBody> multipart =
          EncodeMultipart(FormParts(binding, request), NewBoundary());
      if (!multipart.ok()) return multipart.status();
      out.content_type = std::move(multipart->content_type);
      out.body = std::move(multipart->body);
      break;
    }
    case BODY_KIND_TEXT:
      out.content_type = "text/plain; charset=utf-8";
      out.body = request.GetReflection()->GetString(request, binding.body_fields.front());
      break;
    default:
      break;
  }
  return out;
}

}  // namespace wxgate
