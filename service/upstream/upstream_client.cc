#include "service/upstream/upstream_client.h"

#include <curl/curl.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/errors/error_info.h"
#include "service/upstream/curl_errors.h"

namespace wxgate {
namespace {

// scheme://host[:port] of a URL: safe to show, the query may hold a token.
std::string HostOf(const std::string& url) {
  size_t scheme_end = url.find("://");
  size_t host_end = url.find_first_of("/?", scheme_end == std::string::npos ? 0 : scheme_end + 3);
  return url.substr(0, host_end);
}

struct Transfer {
  UpstreamClient::TransferId id = 0;
  HttpRequest request;
  UpstreamClient::Done done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string answer;
  std::string content_disposition;
  size_t max_answer_bytes = 0;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
};

// curl reads 0 as "no timeout": round up, so that less than 1 ms left stays a limit.
long CurlMilliseconds(absl::Duration timeout) {  // NOLINT(runtime/int): curl's type
  return static_cast<long>(                      // NOLINT(runtime/int)
      std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)))));
}

// Keeps the one header curl does not report itself.
size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  absl::string_view line(data, size * count);
  constexpr absl::string_view kName = "content-disposition:";
  if (absl::StartsWithIgnoreCase(line, kName)) {
    transfer->content_disposition =
        std::string(absl::StripAsciiWhitespace(line.substr(kName.size())));
  }
  return size * count;
}

size_t AppendAnswer(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->answer.size() + size * count > transfer->max_answer_bytes) return 0;  // aborts
  transfer->answer.append(data, size * count);
  return size * count;
}

}  // namespace

// The event loop: owns the multi handle and every easy handle, on one thread.
// Other threads hand it work through the queues, then wake it.
class UpstreamClient::Loop {
 public:
  explicit Loop(UpstreamOptions options) : options_(std::move(options)) {
    static std::once_flag curl_ready;
    std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options_.max_connections_per_host));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options_.max_connections_per_host));
    thread_ = std::thread([this] { Run(); });
  }

  ~Loop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);
  }

  TransferId Enqueue(HttpRequest request, Done done) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    TransferId id;
    active_count_.fetch_add(1, std::memory_order_relaxed);
    {
      absl::MutexLock lock(&mu_);
      id = transfer->id = ++last_id_;
      to_start_.push_back(std::move(transfer));
    }
    curl_multi_wakeup(multi_);
    return id;
  }

  int64_t active() const { return active_count_.load(std::memory_order_relaxed); }

  void RequestCancel(TransferId id) {
    {
      absl::MutexLock lock(&mu_);
      to_cancel_.push_back(id);
    }
    curl_multi_wakeup(multi_);
  }

 private:
  void Run() {
    while (true) {
      std::vector<std::unique_ptr<Transfer>> starting;
      std::vector<TransferId> cancelling;
      bool stopping;
      {
        absl::MutexLock lock(&mu_);
        starting.swap(to_start_);
        cancelling.swap(to_cancel_);
        stopping = stopping_;
      }
      for (auto& transfer : starting) Start(std::move(transfer));
      for (TransferId id : cancelling) {
        Finish(id,
               absl::CancelledError("the caller cancelled the call; upstream transfer aborted"));
      }
      if (stopping) break;
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg == CURLMSG_DONE) Complete(msg->easy_handle, msg->data.result);
      }
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    std::vector<TransferId> remaining;
    for (const auto& [id, transfer] : active_) remaining.push_back(id);
    for (TransferId id : remaining) {
      Finish(id, absl::CancelledError("the gateway is shutting down"));
    }
  }

  void Start(std::unique_ptr<Transfer> transfer) {
    CURL* easy = transfer->easy = curl_easy_init();
    const HttpRequest& request = transfer->request;
    transfer->max_answer_bytes = options_.max_answer_bytes;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, CurlMilliseconds(request.timeout));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, CurlMilliseconds(ConnectTimeout(*transfer)));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "wxgate/1");
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &AppendAnswer);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &ReadHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    transfer->headers = curl_slist_append(nullptr, "Expect:");
    if (request.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
      if (!request.content_type.empty()) {
        transfer->headers = curl_slist_append(
            transfer->headers, absl::StrCat("Content-Type: ", request.content_type).c_str());
      }
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_multi_add_handle(multi_, easy);
    TransferId id = transfer->id;
    active_.emplace(id, std::move(transfer));
  }

  void Complete(CURL* easy, CURLcode result) {
    Transfer* transfer = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &transfer);
    if (result != CURLE_OK) {
      // A timeout before the TLS session was up is the connect timeout's doing.
      curl_off_t connected_us = 0;
      curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &connected_us);
      if (connected_us == 0) curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connected_us);
      const bool connected = connected_us > 0;
      Finish(transfer->id,
             CurlFailure(result, transfer->error, HostOf(transfer->request.url),
                         connected ? transfer->request.timeout : ConnectTimeout(*transfer),
                         connected));
      return;
    }
    HttpResponse response;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    const char* content_type = nullptr;
    curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
    if (content_type) response.content_type = content_type;
    response.content_disposition = std::move(transfer->content_disposition);
    response.body = std::move(transfer->answer);
    Finish(transfer->id, std::move(response));
  }

  absl::Duration ConnectTimeout(const Transfer& transfer) const {
    return std::min(options_.connect_timeout, transfer.request.timeout);
  }

  // Ends a transfer and calls its `done`; a no-op for ids no longer active.
  void Finish(TransferId id, absl::StatusOr<HttpResponse> outcome) {
    auto it = active_.find(id);
    if (it == active_.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_, transfer->easy);
    Done done = std::move(transfer->done);
    transfer.reset();
    active_count_.fetch_sub(1, std::memory_order_relaxed);
    std::move(done)(std::move(outcome));
  }

  const UpstreamOptions options_;
  CURLM* multi_ = nullptr;
  std::thread thread_;
  absl::flat_hash_map<TransferId, std::unique_ptr<Transfer>> active_;  // loop thread only
  std::atomic<int64_t> active_count_{0};

  absl::Mutex mu_;
  std::vector<std::unique_ptr<Transfer>> to_start_ ABSL_GUARDED_BY(mu_);
  std::vector<TransferId> to_cancel_ ABSL_GUARDED_BY(mu_);
  TransferId last_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

UpstreamClient::UpstreamClient(UpstreamOptions options)
    : loop_(std::make_unique<Loop>(std::move(options))) {}

UpstreamClient::~UpstreamClient() = default;

UpstreamClient::TransferId UpstreamClient::Send(HttpRequest request, Done done) {
  return loop_->Enqueue(std::move(request), std::move(done));
}

void UpstreamClient::Cancel(TransferId id) { loop_->RequestCancel(id); }

int64_t UpstreamClient::active_transfers() const { return loop_->active(); }

}  // namespace wxgate
