#include "service/transcode/endpoint_binding.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace wxgate {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

bool HasEndpoint(const MethodDescriptor& method) {
  return method.options().HasExtension(wxgate::endpoint);
}

absl::StatusOr<EndpointBinding> BindEndpoint(const MethodDescriptor& method) {
  auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("method ", method.full_name(), ": (wxgate.endpoint) ", why));
  };
  const Endpoint& endpoint = method.options().GetExtension(wxgate::endpoint);
  EndpointBinding b;
  b.method = &method;
  switch (endpoint.pattern_case()) {
    case Endpoint::kGet:
      b.http_method = "GET";
      b.path = endpoint.get();
      break;
    case Endpoint::kPost:
      b.http_method = "POST";
      b.path = endpoint.post();
      break;
    default:
      return fail("names neither get nor post");
  }
  if (!absl::StartsWith(b.path, "/")) return fail("path must start with '/'");
  if (method.client_streaming() || method.server_streaming()) return fail("needs a unary method");

  b.credential = endpoint.credential() == CREDENTIAL_UNSPECIFIED ? CREDENTIAL_ACCESS_TOKEN
                                                                 : endpoint.credential();
  b.body = endpoint.body();
  if (b.body == BODY_KIND_UNSPECIFIED) {
    b.body = b.http_method == "GET" ? BODY_KIND_NONE : BODY_KIND_JSON;
  }
  if (b.body != BODY_KIND_NONE && b.body != BODY_KIND_JSON) {
    return fail("body kind not supported by this gateway version");
  }
  if (b.http_method == "GET" && b.body != BODY_KIND_NONE) return fail("GET cannot carry a body");
  b.answer = endpoint.answer() == ANSWER_KIND_UNSPECIFIED ? ANSWER_KIND_JSON : endpoint.answer();
  if (b.answer != ANSWER_KIND_JSON && b.answer != ANSWER_KIND_URL) {
    return fail("answer kind not supported by this gateway version");
  }
  if (b.answer == ANSWER_KIND_URL) {
    const auto* url = method.output_type()->FindFieldByName("url");
    if (endpoint.url_host().empty() || url == nullptr ||
        url->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
      return fail("ANSWER_KIND_URL needs url_host and a string field `url` in the response");
    }
    b.url_host = endpoint.url_host();
    b.url_fragment = endpoint.url_fragment();
  }

  b.credential_param =
      endpoint.credential_param().empty() ? "access_token" : endpoint.credential_param();
  b.appid_param = endpoint.appid_param();
  b.secret_param = endpoint.secret_param();
  if (b.credential == CREDENTIAL_APPID_SECRET) {
    if (b.appid_param.empty()) b.appid_param = "appid";
    if (b.secret_param.empty()) b.secret_param = "secret";
  }
  for (const std::string& param : endpoint.fixed_params()) {
    const size_t equals = param.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(absl::StrCat("fixed_params entry \"", param, "\" is not key=value"));
    }
    b.fixed_params.emplace_back(param.substr(0, equals), param.substr(equals + 1));
  }

  const google::protobuf::Descriptor& input = *method.input_type();
  for (int i = 0; i < input.field_count(); ++i) {
    const FieldDescriptor* field = input.field(i);
    Placement placement = field->options().GetExtension(wxgate::placement);
    bool in_query = placement == PLACEMENT_QUERY ||
                    (placement == PLACEMENT_UNSPECIFIED && b.body == BODY_KIND_NONE);
    if (!in_query && b.body == BODY_KIND_NONE) {
      return fail(
          absl::StrCat("field ", field->name(), " is placed in the body of a bodiless call"));
    }
    (in_query ? b.query_fields : b.body_fields).push_back(field);
  }
  return b;
}

}  // namespace wxgate
