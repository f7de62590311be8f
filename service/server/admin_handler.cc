#include "service/server/admin_handler.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/callback/request_target.h"
#include "service/errors/error_info.h"
#include "service/server/admin_service.h"
#include "service/server/status_page_files.h"

namespace wxgate {
namespace {

// The page's files: URL path, file name, content type.
struct PageFile {
  absl::string_view path;
  absl::string_view name;
  absl::string_view content_type;
};
constexpr PageFile kPageFiles[] = {
    {"/status", "status.html", "text/html; charset=utf-8"},
    {"/status.css", "status.css", "text/css; charset=utf-8"},
    {"/status.js", "status.js", "text/javascript; charset=utf-8"},
};

CallbackAnswer Text(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

// What every answer carries: nothing is cached (the status changes, and holds what
// only some callers may see), and the page loads only its own files.
CallbackAnswer Guarded(CallbackAnswer answer) {
  answer.headers.emplace_back("Cache-Control", "no-store");
  answer.headers.emplace_back("Content-Security-Policy",
                              "default-src 'self'; frame-ancestors 'none'");
  answer.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return answer;
}

// A refused /status.json, as gRPC would refuse GetStatus but in HTTP's words.
CallbackAnswer Refusal(const absl::Status& why) {
  switch (why.code()) {
    case absl::StatusCode::kUnauthenticated: {
      CallbackAnswer answer = Text(401, absl::StrCat(why.message(), "\n"));
      answer.headers.emplace_back("WWW-Authenticate", "Bearer");
      return answer;
    }
    case absl::StatusCode::kResourceExhausted: {
      CallbackAnswer answer = Text(429, absl::StrCat(why.message(), "\n"));
      const std::optional<google::rpc::RetryInfo> retry = RetryInfoOf(why);
      // Whole seconds, rounded up: Retry-After takes no fraction.
      const int64_t seconds =
          retry ? retry->retry_delay().seconds() + (retry->retry_delay().nanos() > 0 ? 1 : 0) : 1;
      answer.headers.emplace_back("Retry-After", absl::StrCat(std::max<int64_t>(seconds, 1)));
      return answer;
    }
    case absl::StatusCode::kPermissionDenied:
      return Text(403, absl::StrCat(why.message(), "\n"));
    default:
      return Text(500, absl::StrCat(why.message(), "\n"));
  }
}

}  // namespace

void AdminHandler::Handle(const CallbackRequest& request, Respond respond) const {
  const std::string path = ParseRequestTarget(request.target).path;
  const PageFile* file = std::find_if(std::begin(kPageFiles), std::end(kPageFiles),
                                      [&path](const PageFile& f) { return f.path == path; });
  const bool known = path == "/metrics" || path == "/status.json" || file != std::end(kPageFiles);
  if (!known) {
    return respond(
        Guarded(Text(404, "the admin listener serves /metrics, /status and /status.json\n")));
  }
  if (request.method != "GET") {
    CallbackAnswer answer = Text(405, "GET only\n");
    answer.headers.emplace_back("Allow", "GET");
    return respond(Guarded(std::move(answer)));
  }
  if (path == "/metrics") {
    return respond(Guarded(
        {200, "text/plain; version=0.0.4; charset=utf-8", GlobalMetrics().Exposition(read_())}));
  }
  if (path == "/status.json") return respond(Guarded(Status(request)));
  respond(Guarded({200, std::string(file->content_type), std::string(StatusPageFile(file->name))}));
}

CallbackAnswer AdminHandler::Status(const CallbackRequest& request) const {
  CallerCredentials credentials;
  credentials.authorization = std::string(request.Header("authorization"));
  const std::string identity_header = absl::AsciiStrToLower(admission_.identity_header());
  if (!identity_header.empty()) {
    credentials.identity_header = std::string(request.Header(identity_header));
  }
  absl::StatusOr<CallAdmission::AdmittedForSome> admitted =
      admission_.AdmitForSome(credentials, kGetStatusMethod, report_.Appids());
  if (!admitted.ok()) return Refusal(admitted.status());
  const std::vector<std::string>& visible = admitted->appids;
  const bool all = std::find(visible.begin(), visible.end(), kAllAppids) != visible.end();
  const v1::GetStatusResponse status = report_.Build([&](absl::string_view appid) {
    return all || std::find(visible.begin(), visible.end(), appid) != visible.end();
  });
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;  // scripts find every field, zeros too
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(status, &json, options).ok()) {
    return Text(500, "the status could not be written as JSON\n");
  }
  return {200, "application/json", std::move(json)};
}

}  // namespace wxgate
