#include "tests/fake_wechat/endpoint_table.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace wxgate::fake {
namespace {

using nlohmann::json;

const absl::flat_hash_set<absl::string_view>& KnownKeys() {
  static const auto* keys = new absl::flat_hash_set<absl::string_view>{
      "method",         "path",           "credential",   "answer",
      "required",       "required_query", "body",         "missing_errcode",
      "missing_errmsg", "with_errcode",   "content_type", "required_parts",
  };
  return *keys;
}

absl::StatusOr<std::vector<std::string>> NameList(const json& entry, const char* key) {
  std::vector<std::string> names;
  if (!entry.contains(key)) return names;
  const json& list = entry[key];
  if (!list.is_array())
    return absl::InvalidArgumentError(absl::StrCat("'", key, "' must be an array of strings"));
  for (const json& name : list) {
    if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("'", key, "' must hold non-empty strings"));
    }
    names.push_back(name.get<std::string>());
  }
  return names;
}

// Returns an error message for the caller to prefix with the file and entry, or the entry.
absl::StatusOr<Endpoint> ParseEntry(const json& entry) {
  if (!entry.is_object()) return absl::InvalidArgumentError("must be a JSON object");
  for (const auto& item : entry.items()) {
    if (!KnownKeys().contains(item.key())) {
      return absl::InvalidArgumentError(absl::StrCat("unknown key '", item.key(), "'"));
    }
  }
  auto string_of = [&entry](const char* key) -> const std::string* {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };

  Endpoint endpoint;
  const std::string* method = string_of("method");
  if (method == nullptr || (*method != "GET" && *method != "POST")) {
    return absl::InvalidArgumentError("'method' must be \"GET\" or \"POST\"");
  }
  endpoint.method = *method;

  const std::string* path = string_of("path");
  if (path == nullptr || !absl::StartsWith(*path, "/") || absl::StrContains(*path, "?")) {
    return absl::InvalidArgumentError("'path' must be a string starting with '/' and without '?'");
  }
  endpoint.path = *path;

  const std::string* credential = string_of("credential");
  if (credential == nullptr || (*credential != "access_token" && *credential != "none")) {
    return absl::InvalidArgumentError("'credential' must be \"access_token\" or \"none\"");
  }
  endpoint.needs_access_token = *credential == "access_token";

  auto required = NameList(entry, "required");
  if (!required.ok()) return required.status();
  endpoint.required = *std::move(required);
  auto required_query = NameList(entry, "required_query");
  if (!required_query.ok()) return required_query.status();
  endpoint.required_query = *std::move(required_query);

  if (entry.contains("body")) {
    static const auto* kinds =
        new std::map<std::string, Endpoint::Body>{{"json", Endpoint::Body::kJson},
                                                  {"multipart", Endpoint::Body::kMultipart},
                                                  {"text", Endpoint::Body::kText},
                                                  {"none", Endpoint::Body::kNone}};
    const std::string* body = string_of("body");
    if (endpoint.method != "POST" || body == nullptr || !kinds->contains(*body)) {
      return absl::InvalidArgumentError(
          "'body' is for POST only and must be \"json\", \"multipart\", \"text\" or "
          "\"none\"");
    }
    endpoint.body = kinds->at(*body);
    if (endpoint.body != Endpoint::Body::kJson && !endpoint.required.empty()) {
      return absl::InvalidArgumentError(
          "'required' needs a JSON body; use 'required_query' or 'required_parts'");
    }
  }
  auto required_parts = NameList(entry, "required_parts");
  if (!required_parts.ok()) return required_parts.status();
  endpoint.required_parts = *std::move(required_parts);
  if (!endpoint.required_parts.empty() && endpoint.body != Endpoint::Body::kMultipart) {
    return absl::InvalidArgumentError("'required_parts' needs \"body\": \"multipart\"");
  }
  if (entry.contains("missing_errcode")) {
    if (!entry["missing_errcode"].is_number_integer()) {
      return absl::InvalidArgumentError("'missing_errcode' must be an integer");
    }
    endpoint.missing_errcode = entry["missing_errcode"].get<int>();
  }
  if (entry.contains("missing_errmsg")) {
    const std::string* errmsg = string_of("missing_errmsg");
    if (errmsg == nullptr) return absl::InvalidArgumentError("'missing_errmsg' must be a string");
    endpoint.missing_errmsg = *errmsg;
  }
  if (entry.contains("with_errcode")) {
    if (!entry["with_errcode"].is_boolean()) {
      return absl::InvalidArgumentError("'with_errcode' must be true or false");
    }
    endpoint.with_errcode = entry["with_errcode"].get<bool>();
  }
  if (entry.contains("content_type")) {
    const std::string* content_type = string_of("content_type");
    if (content_type == nullptr || content_type->empty()) {
      return absl::InvalidArgumentError("'content_type' must be a non-empty string");
    }
    endpoint.content_type = *content_type;
  }

  auto answer = entry.find("answer");
  if (answer == entry.end()) return absl::InvalidArgumentError("'answer' is missing");
  if (endpoint.content_type.empty() ? !answer->is_object() : !answer->is_string()) {
    return absl::InvalidArgumentError(
        "'answer' must be a JSON object, or a string when 'content_type' is set");
  }
  if (endpoint.with_errcode && !answer->is_object()) {
    return absl::InvalidArgumentError("'with_errcode' needs a JSON object answer");
  }
  endpoint.answer = *answer;
  return endpoint;
}

}  // namespace

absl::StatusOr<std::vector<Endpoint>> EndpointTable::ParseFile(absl::string_view file_name,
                                                               absl::string_view text) {
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": not valid JSON"));
  }
  if (!document.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": must be a JSON array of entries"));
  }
  std::vector<Endpoint> endpoints;
  for (size_t i = 0; i < document.size(); ++i) {
    auto endpoint = ParseEntry(document[i]);
    if (!endpoint.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ": entry ", i, ": ", endpoint.status().message()));
    }
    endpoints.push_back(*std::move(endpoint));
  }
  return endpoints;
}

absl::StatusOr<EndpointTable> EndpointTable::LoadDir(const std::string& dir) {
  EndpointTable table;
  if (dir.empty()) return table;
  namespace fs = std::filesystem;
  std::error_code error;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() == ".json") files.push_back(it->path());
  }
  if (error) {
    return absl::NotFoundError(
        absl::StrCat("cannot list endpoint directory ", dir, ": ", error.message()));
  }
  std::sort(files.begin(), files.end());

  absl::flat_hash_map<std::string, std::string> file_of_path;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", file.string()));
    std::stringstream text;
    text << in.rdbuf();
    auto endpoints = ParseFile(file.string(), text.str());
    if (!endpoints.ok()) return endpoints.status();
    for (size_t i = 0; i < endpoints->size(); ++i) {
      Endpoint& endpoint = (*endpoints)[i];
      auto [it, inserted] = file_of_path.emplace(endpoint.path, file.string());
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat(
            file.string(), ": entry ", i, ": path ", endpoint.path, " is already in ", it->second));
      }
      std::string path = endpoint.path;
      table.by_path_.emplace(std::move(path), std::move(endpoint));
    }
  }
  return table;
}

const Endpoint* EndpointTable::Find(absl::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second;
}

}  // namespace wxgate::fake
