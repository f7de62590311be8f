#include "tests/bench/direct_https.h"

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/bench/bench_processes.h"

namespace wxgate::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kOpenid[] = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";

size_t Append(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// One kept-alive easy handle and the answer it collects.
struct Connection {
  CURL* easy = curl_easy_init();
  std::string answer;
  Clock::time_point started;

  Connection(const std::string& url, const std::string& ca_file) {
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &answer);
  }
  ~Connection() { curl_easy_cleanup(easy); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Records the transfer that just ended into `result`.
  void Judge(CURLcode code, LoadResult& result) {
    long status = 0;  // NOLINT(runtime/int): curl's type
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) {
      ++result.errors[absl::StrCat("curl ", curl_easy_strerror(code))];
    } else if (status != 200) {
      ++result.errors[absl::StrCat("HTTP ", status)];
    } else if (answer.find(kOpenid) == std::string::npos) {
      ++result.errors["wrong answer"];
    } else {
      result.ok.Add(Clock::now() - started);
    }
    answer.clear();
  }
};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

DirectHttps::DirectHttps(std::string base_url, std::string ca_file) : ca_file_(std::move(ca_file)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Connection token(base_url + "/cgi-bin/stable_token", ca_file_);
  const std::string body =
      nlohmann::json({{"grant_type", "client_credential"}, {"appid", kAppid}, {"secret", kSecret}})
          .dump();
  curl_easy_setopt(token.easy, CURLOPT_POSTFIELDS, body.c_str());
  const CURLcode code = curl_easy_perform(token.easy);
  nlohmann::json answer = nlohmann::json::parse(token.answer, nullptr, false);
  if (code != CURLE_OK || !answer.contains("access_token")) {
    std::fprintf(stderr, "bench: no token from the fake: %s\n", token.answer.c_str());
    std::exit(1);
  }
  user_info_url_ = absl::StrCat(
      base_url, "/cgi-bin/user/info?access_token=", answer["access_token"].get<std::string>(),
      "&openid=", kOpenid, "&lang=zh_CN");
}

LoadResult DirectHttps::Serial(int calls) {
  LoadResult result;
  Connection connection(user_info_url_, ca_file_);
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    connection.started = Clock::now();
    connection.Judge(curl_easy_perform(connection.easy), result);
  }
  result.seconds = SecondsSince(start);
  return result;
}

LoadResult DirectHttps::Concurrent(int concurrency, std::chrono::milliseconds duration) {
  LoadResult result;
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(concurrency));
  std::vector<std::unique_ptr<Connection>> connections;
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < concurrency; ++i) {
    connections.push_back(std::make_unique<Connection>(user_info_url_, ca_file_));
    curl_easy_setopt(connections.back()->easy, CURLOPT_PRIVATE, connections.back().get());
    connections.back()->started = Clock::now();
    curl_multi_add_handle(multi, connections.back()->easy);
  }
  const Clock::time_point end = start + duration;
  int running = concurrency;
  while (running > 0) {
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Connection* connection = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &connection);
      const CURLcode code = message->data.result;
      curl_multi_remove_handle(multi, connection->easy);
      connection->Judge(code, result);
      if (Clock::now() < end) {
        connection->started = Clock::now();
        curl_multi_add_handle(multi, connection->easy);
        ++running;
      }
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  result.seconds = SecondsSince(start);
  for (auto& connection : connections) curl_multi_remove_handle(multi, connection->easy);
  connections.clear();
  curl_multi_cleanup(multi);
  return result;
}

}  // namespace wxgate::bench
