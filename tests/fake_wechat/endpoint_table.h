// EndpointTable is the data-driven part of the fake: what each WeChat endpoint
// requires and answers, read from every *.json file of a directory (in name order).
// A file is a JSON array of entries:
//
//   {"method": "GET", "path": "/cgi-bin/user/info", "credential": "access_token",
//    "required": ["openid"], "answer": {"subscribe": 1, "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}}
//
// Keys (others are rejected, to catch typos):
//   method           "GET" | "POST"                                       (required)
//   path             "/..." without a query, unique over all files         (required)
//   credential       "access_token" | "none"                               (required)
//   answer           a JSON object, or a string sent as is with content_type (required)
//   required         names that must be in the query (GET) or at the top of the JSON body (POST)
//   required_query   names that must be in the query whatever the method (e.g. media "type")
//   body             POST only: "json" (default; a non-object body is 47001)
//                    | "multipart" (not multipart/form-data, or a required part missing: 41005)
//                    | "text" (an empty body: 44002) | "none" (the body is not read)
//   required_parts   "multipart" only: the parts that must be there, not empty
//   missing_errcode  errcode when a required name is missing (default 47001)
//   missing_errmsg   its errmsg, followed by " hint: missing <name>" (default "data format error")
//   with_errcode     add "errcode":0,"errmsg":"ok" to a JSON answer (default false)
//   content_type     required when answer is a string (binary-ish answers such as media/get)
//
// A malformed file fails the whole load with "<file>: entry <i>: <what is wrong>".
// The table is immutable once loaded, so lookups need no lock.
#ifndef WXGATE_TESTS_FAKE_WECHAT_ENDPOINT_TABLE_H_
#define WXGATE_TESTS_FAKE_WECHAT_ENDPOINT_TABLE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace wxgate::fake {

struct Endpoint {
  std::string method;  // "GET" | "POST"
  std::string path;
  bool needs_access_token = true;
  std::vector<std::string> required;
  std::vector<std::string> required_query;
  enum class Body { kJson, kMultipart, kText, kNone };
  Body body = Body::kJson;  // POST only
  std::vector<std::string> required_parts;
  int missing_errcode = 47001;
  std::string missing_errmsg = "data format error";
  bool with_errcode = false;
  nlohmann::json answer;     // an object, or a string when content_type is set
  std::string content_type;  // empty = JSON
};

class EndpointTable {
 public:
  // Loads every *.json file of `dir`; an empty `dir` gives an empty table.
  static absl::StatusOr<EndpointTable> LoadDir(const std::string& dir);
  // Parses one file's text; `file_name` only names it in errors.
  static absl::StatusOr<std::vector<Endpoint>> ParseFile(absl::string_view file_name,
                                                         absl::string_view text);

  // nullptr when no entry has this path.
  const Endpoint* Find(absl::string_view path) const;
  size_t size() const { return by_path_.size(); }

 private:
  absl::flat_hash_map<std::string, Endpoint> by_path_;
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_ENDPOINT_TABLE_H_
