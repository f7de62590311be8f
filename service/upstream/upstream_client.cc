#include "service/upstream/upstream_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/upstream/curl_errors.h"
#include "service/upstream/request_not_sent.h"
#include "service/upstream/transfer_queue.h"

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
  absl::Time deadline;             // Send's time + the request's timeout
  TransferQueue* queue = nullptr;  // told when the transfer has its connection
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string answer;
  std::string content_disposition;
  size_t max_answer_bytes = 0;
  // libcurl began sending the request: from here on a failure may follow its arrival.
  bool request_started = false;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() { curl_slist_free_all(headers); }  // the loop takes `easy` back
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

// libcurl has a connection for the transfer (new, or reused), and sends next.
int OnConnected(void* user, char*, char*, int, int) {
  auto* transfer = static_cast<Transfer*>(user);
  transfer->request_started = true;
  transfer->queue->Connected(transfer->id);
  return CURL_PREREQFUNC_OK;
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
  explicit Loop(UpstreamOptions options)
      : options_(std::move(options)),
        queue_({.max_running = options_.max_connections_per_host,
                .max_connecting = options_.max_connecting}) {
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
    for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
  }

  TransferId Enqueue(HttpRequest request, Done done) {
    // Refused here, on the caller's thread, so that a full queue costs the loop nothing.
    const int64_t limit = int64_t{options_.max_connections_per_host} + options_.max_queued;
    if (active_count_.fetch_add(1, std::memory_order_relaxed) >= limit) {
      active_count_.fetch_sub(1, std::memory_order_relaxed);
      std::move(done)(QueueFull(request.url));
      return 0;  // never issued: Cancel(0) is a no-op
    }
    auto transfer = std::make_unique<Transfer>();
    transfer->deadline = absl::Now() + request.timeout;
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    transfer->queue = &queue_;
    TransferId id;
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
      std::vector<std::unique_ptr<Transfer>> arriving;
      std::vector<TransferId> cancelling;
      bool stopping;
      {
        absl::MutexLock lock(&mu_);
        arriving.swap(to_start_);
        cancelling.swap(to_cancel_);
        stopping = stopping_;
      }
      for (auto& transfer : arriving) {
        const TransferId id = transfer->id;
        queue_.Add(id, transfer->deadline);
        active_.emplace(id, std::move(transfer));
      }
      for (TransferId id : cancelling) {
        Finish(id,
               absl::CancelledError("the caller cancelled the call; upstream transfer aborted"));
      }
      if (stopping) break;
      FailExpired();
      StartWaiting();
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg == CURLMSG_DONE) Complete(msg->easy_handle, msg->data.result);
      }
      // Completions freed connections: hand the next waiting transfers to curl now.
      StartWaiting();
      curl_multi_poll(multi_, nullptr, 0, PollMilliseconds(), nullptr);
    }
    std::vector<TransferId> remaining;
    for (const auto& [id, transfer] : active_) remaining.push_back(id);
    for (TransferId id : remaining) {
      Finish(id, absl::CancelledError("the gateway is shutting down"));
    }
  }

  // Waits no longer than until the next waiting transfer's deadline.
  int PollMilliseconds() const {
    constexpr int kIdle = 1000;
    std::optional<absl::Time> next = queue_.NextDeadline();
    if (!next) return kIdle;
    return static_cast<int>(std::clamp<int64_t>(
        absl::ToInt64Milliseconds(absl::Ceil(*next - absl::Now(), absl::Milliseconds(1))), 0,
        kIdle));
  }

  void FailExpired() {
    for (TransferId id : queue_.TakeExpired(absl::Now())) {
      Finish(id,
             GatewayError(Reason::kDeadlineBeforeUpstream,
                          absl::StrCat("the call's deadline passed while it waited for a "
                                       "connection to ",
                                       HostOf(active_.at(id)->request.url), "; it was not sent")));
    }
  }

  void StartWaiting() {
    for (TransferId id : queue_.TakeStartable()) Start(*active_.at(id));
  }

  absl::Status QueueFull(const std::string& url) const {
    return WithRetryDelay(
        GatewayError(Reason::kUpstreamQueueFull,
                     absl::StrCat(options_.max_queued, " calls already wait for a connection to ",
                                  HostOf(url), " (upstream.max_queued_calls); retry later")),
        options_.queue_full_retry_delay);
  }

  // An easy handle with the options every transfer shares. Handles are reused:
  // a new one costs allocations and ~20 options per call.
  CURL* AcquireEasy() {
    if (!idle_easy_.empty()) {
      CURL* easy = idle_easy_.back();
      idle_easy_.pop_back();
      return easy;
    }
    CURL* easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &OnConnected);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "wxgate/1");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &AppendAnswer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &ReadHeader);
    return easy;
  }

  // Keeps as many idle handles as transfers may run at once.
  void ReleaseEasy(CURL* easy) {
    if (static_cast<int>(idle_easy_.size()) < options_.max_connections_per_host) {
      idle_easy_.push_back(easy);
    } else {
      curl_easy_cleanup(easy);
    }
  }

  // Hands a waiting transfer to curl, with what is left of its time. Sets every
  // option that differs between transfers, as the handle may have served another.
  void Start(Transfer& started) {
    Transfer* transfer = &started;
    CURL* easy = transfer->easy = AcquireEasy();
    const HttpRequest& request = transfer->request;
    const absl::Duration left = transfer->deadline - absl::Now();
    transfer->max_answer_bytes = options_.max_answer_bytes;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, CurlMilliseconds(left));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     CurlMilliseconds(std::min(ConnectTimeout(*transfer), left)));
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
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
    } else {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);  // undoes a POST of the handle's last use
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_multi_add_handle(multi_, easy);
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
      absl::Status failure =
          CurlFailure(result, transfer->error, HostOf(transfer->request.url),
                      connected ? transfer->request.timeout : ConnectTimeout(*transfer), connected);
      if (!transfer->request_started && FailsBeforeSending(result)) {
        failure = MarkedNotSent(std::move(failure));
      }
      Finish(transfer->id, std::move(failure));
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
    queue_.Ended(id);
    if (transfer->easy) {
      curl_multi_remove_handle(multi_, transfer->easy);
      curl_easy_setopt(transfer->easy, CURLOPT_ERRORBUFFER, nullptr);  // about to be freed
      ReleaseEasy(transfer->easy);
    }
    Done done = std::move(transfer->done);
    transfer.reset();
    active_count_.fetch_sub(1, std::memory_order_relaxed);
    std::move(done)(std::move(outcome));
  }

  const UpstreamOptions options_;
  TransferQueue queue_;  // loop thread only
  CURLM* multi_ = nullptr;
  std::thread thread_;
  // Waiting and running transfers; loop thread only.
  absl::flat_hash_map<TransferId, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_easy_;  // loop thread only
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
