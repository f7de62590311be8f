#include "service/transcode/endpoint_binding.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace wxgate {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

namespace {

bool IsOfType(const FieldDescriptor& field, absl::string_view message_type) {
  return field.message_type() != nullptr && field.message_type()->full_name() == message_type;
}

}  // namespace

CredentialKind CredentialKindOf(Credential credential) {
  switch (credential) {
    case CREDENTIAL_NONE:
      return CredentialKind::kNone;
    case CREDENTIAL_COMPONENT_ACCESS_TOKEN:
      return CredentialKind::kComponentAccessToken;
    case CREDENTIAL_AUTHORIZER_ACCESS_TOKEN:
      return CredentialKind::kAuthorizerAccessToken;
    case CREDENTIAL_APPID_SECRET:
      return CredentialKind::kAppidSecret;
    case CREDENTIAL_OAUTH_ACCESS_TOKEN:
      return CredentialKind::kOAuthUserToken;
    default:  // CREDENTIAL_ACCESS_TOKEN, UNSPECIFIED
      return CredentialKind::kAccessToken;
  }
}

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

  b.credential = CredentialKindOf(endpoint.credential());
  b.body = endpoint.body();
  if (b.body == BODY_KIND_UNSPECIFIED) {
    b.body = b.http_method == "GET" ? BODY_KIND_NONE : BODY_KIND_JSON;
  }
  if (b.http_method == "GET" && b.body != BODY_KIND_NONE) return fail("GET cannot carry a body");
  b.answer = endpoint.answer() == ANSWER_KIND_UNSPECIFIED ? ANSWER_KIND_JSON : endpoint.answer();
  const bool downloads = b.answer == ANSWER_KIND_BINARY || b.answer == ANSWER_KIND_JSON_OR_BINARY;
  if (method.server_streaming() != downloads) {
    return fail(
        "a method is server-streaming exactly when it answers a file (ANSWER_KIND_BINARY "
        "or ANSWER_KIND_JSON_OR_BINARY)");
  }
  if (method.client_streaming() && b.body != BODY_KIND_MULTIPART) {
    return fail("only an upload (BODY_KIND_MULTIPART) may be client-streaming");
  }
  if (downloads) {
    const google::protobuf::Descriptor& output = *method.output_type();
    int chunk_fields = 0;
    for (int i = 0; i < output.field_count(); ++i) {
      const FieldDescriptor* field = output.field(i);
      if (IsOfType(*field, kFileChunkType)) {
        ++chunk_fields;
        b.chunk_field = field;
      }
    }
    if (chunk_fields != 1 || b.chunk_field->is_repeated()) {
      return fail(absl::StrCat("a file answer needs exactly one singular ", kFileChunkType,
                               " field in the response"));
    }
  }
  if (b.answer == ANSWER_KIND_URL) {
    const auto* url = method.output_type()->FindFieldByName("url");
    if (endpoint.url_host().empty() || url == nullptr ||
        url->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
      return fail("ANSWER_KIND_URL needs url_host and a string field `url` in the response");
    }
    if (b.credential != CredentialKind::kNone) {
      return fail("ANSWER_KIND_URL makes a URL for a browser: it takes CREDENTIAL_NONE");
    }
    b.url_host = endpoint.url_host();
    b.url_fragment = endpoint.url_fragment();
  }
  b.host = endpoint.host();
  b.repeatable =
      method.options().idempotency_level() == google::protobuf::MethodOptions::NO_SIDE_EFFECTS;
  // The method's own sets replace its service's.
  const auto& own_sets = method.options().GetRepeatedExtension(wxgate::method_permission_set);
  for (int id : own_sets.empty()
                    ? method.service()->options().GetRepeatedExtension(wxgate::permission_set)
                    : own_sets) {
    b.permission_sets.push_back(id);
  }
  if (absl::StrContains(b.host, '/') || absl::StrContains(b.host, ':')) {
    return fail("host must be a bare host name, such as \"mp.weixin.qq.com\"");
  }

  b.credential_param =
      endpoint.credential_param().empty() ? "access_token" : endpoint.credential_param();
  b.appid_param = endpoint.appid_param();
  b.secret_param = endpoint.secret_param();
  b.component_appid_param = endpoint.component_appid_param();
  if (b.credential == CredentialKind::kAppidSecret) {
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
    if (IsOfType(*field, kUploadFileType)) {
      if (b.body != BODY_KIND_MULTIPART || field->is_repeated() ||
          placement != PLACEMENT_UNSPECIFIED) {
        return fail(absl::StrCat("field ", field->name(),
                                 ": a file goes only in a multipart body, as a singular field"));
      }
      b.file_fields.push_back(field);
      continue;
    }
    // Only a JSON body takes the fields by default; the others need them placed.
    bool in_query = placement == PLACEMENT_QUERY ||
                    (placement == PLACEMENT_UNSPECIFIED && b.body != BODY_KIND_JSON);
    if (!in_query && b.body == BODY_KIND_NONE) {
      return fail(
          absl::StrCat("field ", field->name(), " is placed in the body of a bodiless call"));
    }
    (in_query ? b.query_fields : b.body_fields).push_back(field);
  }
  if (b.body == BODY_KIND_MULTIPART && b.file_fields.empty()) {
    return fail(absl::StrCat("a multipart body needs a ", kUploadFileType, " field"));
  }
  if (b.body == BODY_KIND_TEXT && (b.body_fields.size() != 1 || b.body_fields[0]->is_repeated() ||
                                   b.body_fields[0]->type() != FieldDescriptor::TYPE_STRING)) {
    return fail("a text body needs exactly one string field placed in the body");
  }
  return b;
}

}  // namespace wxgate
