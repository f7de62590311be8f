#include "service/transcode/request_builder.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// Appends one parameter in the place the binding's body kind uses for non-query fields.
class Params {
 public:
  void AddQuery(absl::string_view key, absl::string_view value) {
    query_.push_back(absl::StrCat(EscapeQueryComponent(key), "=", EscapeQueryComponent(value)));
  }
  std::vector<std::string>& query() { return query_; }
  json& body() { return body_; }

 private:
  std::vector<std::string> query_;
  json body_ = json::object();
};

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

std::string EscapeQueryComponent(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%",
                      absl::AsciiStrToUpper(absl::StrCat(absl::Hex(c, absl::kZeroPad2))));
    }
  }
  return out;
}

absl::StatusOr<HttpRequest> BuildHttpRequest(const EndpointBinding& binding, const Message& request,
                                             absl::string_view base_url,
                                             const CallCredential& credential,
                                             absl::Duration timeout) {
  Params params;
  if (binding.SendsToken()) params.AddQuery(binding.credential_param, credential.access_token);
  for (const FieldDescriptor* field : binding.query_fields) {
    if (!IsSet(request, *field)) continue;
    json value = FieldToWeChatJson(request, *field);
    if (value.is_array()) {
      for (const json& item : value) params.AddQuery(WeChatKey(*field), QueryValue(item));
    } else {
      params.AddQuery(WeChatKey(*field), QueryValue(value));
    }
  }
  for (const FieldDescriptor* field : binding.body_fields) {
    if (IsSet(request, *field))
      params.body()[WeChatKey(*field)] = FieldToWeChatJson(request, *field);
  }

  // Gateway-held values go where the call's other parameters go, unless the caller set them.
  const bool in_body = binding.body == BODY_KIND_JSON;
  auto fill = [&](const std::string& key, const std::string& value) {
    if (key.empty()) return;
    if (in_body) {
      if (!params.body().contains(key)) params.body()[key] = value;
      return;
    }
    std::string prefix = EscapeQueryComponent(key) + "=";
    for (const std::string& item : params.query()) {
      if (item.rfind(prefix, 0) == 0) return;
    }
    params.AddQuery(key, value);
  };
  fill(binding.appid_param, credential.appid);
  if (binding.credential == CREDENTIAL_APPID_SECRET) fill(binding.secret_param, credential.secret);
  for (const auto& [key, value] : binding.fixed_params) fill(key, value);

  HttpRequest http;
  http.method = binding.http_method;
  http.timeout = timeout;
  http.url = absl::StrCat(base_url, binding.path);
  if (!params.query().empty()) {
    absl::StrAppend(&http.url, binding.path.find('?') == std::string::npos ? "?" : "&",
                    absl::StrJoin(params.query(), "&"));
  }
  switch (binding.body) {
    case BODY_KIND_JSON:
      http.content_type = "application/json; charset=utf-8";
      // WeChat reads UTF-8 as is; \uXXXX escapes would be stored literally by some endpoints.
      http.body = params.body().dump(-1, ' ', false, json::error_handler_t::replace);
      break;
    case BODY_KIND_MULTIPART: {
      absl::StatusOr<MultipartBody> multipart =
          EncodeMultipart(FormParts(binding, request), NewBoundary());
      if (!multipart.ok()) return multipart.status();
      http.content_type = std::move(multipart->content_type);
      http.body = std::move(multipart->body);
      break;
    }
    case BODY_KIND_TEXT:
      http.content_type = "text/plain; charset=utf-8";
      http.body = request.GetReflection()->GetString(request, binding.body_fields.front());
      break;
    default:
      break;
  }
  return http;
}

}  // namespace wxgate
