#include "service/upstream/upstream_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
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

// The event loop: one multi handle driven through libcurl's socket interface, its
// sockets watched by one epoll set. Every touch of the multi, the queue and the
// transfers happens under mu_, on any thread: Send starts its transfer on the
// caller's thread, so the request leaves without waking the loop, whose thread then
// only waits for answers (and timers, cancels, stops). A Send that finds mu_ taken
// does not wait for it: it hands the transfer to the loop through handed_off_. `done` always runs
// with mu_ released: on the loop's thread, or inside Send for a refusal or an answer that came
// before Send returned.
class UpstreamClient::Loop {
 public:
  explicit Loop(UpstreamOptions options)
      : options_(std::move(options)),
        queue_({.max_running = options_.max_connections_per_host,
                .max_connecting = options_.max_connecting}) {
    static std::once_flag curl_ready;
    std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event wake_event{.events = EPOLLIN, .data = {.fd = wake_}};
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &wake_event);
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options_.max_connections_per_host));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options_.max_connections_per_host));
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &OnSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    thread_ = std::thread([this] { Run(); });
  }

  ~Loop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    Wake();
    thread_.join();
    for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
    close(wake_);
    close(epoll_);
  }

  TransferId Enqueue(HttpRequest request, Done done) {
    // Refused here, before anything is allocated or locked: a full queue costs little.
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
    const TransferId id = transfer->id = ++last_id_;
    // Never waits behind the loop's curl work: when the loop holds the lock, the
    // transfer is handed to it as before this path existed (one wake-up).
    if (!mu_.TryLock()) {
      {
        absl::MutexLock lock(&handoff_mu_);
        handed_off_.push_back(std::move(transfer));
      }
      Wake();
      return id;
    }
    // Transfers handed off earlier go first: first come, first served.
    AdoptHandedOff();
    Adopt(std::move(transfer));
    // Sends now, from this thread, if a connection is free; else it waits its turn.
    StartWaiting();
    ReadTimer();
    // A quick upstream may have answered already: then this thread finishes the
    // call too, and nobody is woken. Other transfers' ends stay for the loop.
    std::optional<Ended> answered;
    auto own =
        std::find_if(ready_.begin(), ready_.end(), [id](const Ended& end) { return end.id == id; });
    if (own != ready_.end()) {
      answered = std::move(*own);
      ready_.erase(own);
    }
    // The loop sleeps until its earliest timer: wake it only if that moved earlier
    // (a new connection's timers, a waiting deadline) or ends are ready to hand out.
    const bool wake = !ready_.empty() || NextWakeLocked() < sleeping_until_;
    mu_.Unlock();
    if (wake) Wake();
    if (answered) std::move(answered->done)(std::move(answered->outcome));
    return id;
  }

  int64_t active() const { return active_count_.load(std::memory_order_relaxed); }

  void RequestCancel(TransferId id) {
    {
      absl::MutexLock lock(&handoff_mu_);
      to_cancel_.push_back(id);
    }
    Wake();
  }

 private:
  // A transfer that ended, with what `done` is told; run once mu_ is released.
  struct Ended {
    TransferId id;
    Done done;
    absl::StatusOr<HttpResponse> outcome;
  };

  void Run() {
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    while (true) {
      absl::Time wake_at;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) break;
        wake_at = std::min(NextWakeLocked(), absl::Now() + absl::Seconds(1));
        sleeping_until_ = wake_at;
      }
      const int count = epoll_wait(epoll_, events, kMaxEvents, WaitMilliseconds(wake_at));
      std::vector<Ended> ended;
      {
        absl::MutexLock lock(&mu_);
        sleeping_until_ = absl::InfinitePast();  // awake: Send need not wake it
        // Both lists in one go: a cancel taken must find its transfer adopted.
        std::vector<std::unique_ptr<Transfer>> handed_off;
        std::vector<TransferId> cancelling;
        {
          absl::MutexLock handoff(&handoff_mu_);
          handed_off.swap(handed_off_);
          cancelling.swap(to_cancel_);
        }
        for (auto& transfer : handed_off) Adopt(std::move(transfer));
        for (int i = 0; i < count; ++i) {
          if (events[i].data.fd == wake_) {
            uint64_t ignored;
            [[maybe_unused]] ssize_t n = read(wake_, &ignored, sizeof(ignored));
            continue;
          }
          curl_multi_socket_action(multi_, events[i].data.fd, CurlEvents(events[i].events),
                                   &running_);
        }
        if (absl::Now() >= timer_at_) {
          curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running_);
        }
        for (TransferId id : cancelling) {
          Finish(id,
                 absl::CancelledError("the caller cancelled the call; upstream transfer aborted"));
        }
        FailExpired();
        CollectCompleted();
        // Completions freed connections: hand the next waiting transfers to curl now.
        StartWaiting();
        ended.swap(ready_);
        ReadTimer();
      }
      for (Ended& end : ended) std::move(end.done)(std::move(end.outcome));
    }
    std::vector<Ended> ended;
    {
      absl::MutexLock lock(&mu_);
      AdoptHandedOff();
      std::vector<TransferId> remaining;
      for (const auto& [id, transfer] : active_) remaining.push_back(id);
      for (TransferId id : remaining)
        Finish(id, absl::CancelledError("the gateway is shutting down"));
      ended.swap(ready_);
    }
    for (Ended& end : ended) std::move(end.done)(std::move(end.outcome));
  }

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_, &one, sizeof(one));
  }

  // libcurl says which events of a socket it waits for (under mu_, inside a curl call).
  static int OnSocket(CURL*, curl_socket_t socket, int what, void* user, void*) {
    auto* loop = static_cast<Loop*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(loop->epoll_, EPOLL_CTL_DEL, socket, nullptr);
      return 0;
    }
    epoll_event event{.events = 0, .data = {.fd = socket}};
    if (what & CURL_POLL_IN) event.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) event.events |= EPOLLOUT;
    if (epoll_ctl(loop->epoll_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
      epoll_ctl(loop->epoll_, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
  }

  // A new transfer waits behind those before it.
  void Adopt(std::unique_ptr<Transfer> transfer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const TransferId id = transfer->id;
    queue_.Add(id, transfer->deadline);
    active_.emplace(id, std::move(transfer));
  }

  // Queues what Send handed off while the loop held mu_, in the order it came.
  void AdoptHandedOff() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::unique_ptr<Transfer>> handed_off;
    {
      absl::MutexLock handoff(&handoff_mu_);
      handed_off.swap(handed_off_);
    }
    for (auto& transfer : handed_off) Adopt(std::move(transfer));
  }

  // When curl next wants CURL_SOCKET_TIMEOUT, asked after every batch of curl calls.
  // Not CURLMOPT_TIMERFUNCTION: libcurl 7.88 calls it only when its earliest timer
  // changes, and may not say when the last one goes away, which left a stale
  // "now" behind and the loop spinning.
  void ReadTimer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    long timeout_ms = -1;  // NOLINT(runtime/int): curl's type
    curl_multi_timeout(multi_, &timeout_ms);
    timer_at_ =
        timeout_ms < 0 ? absl::InfiniteFuture() : absl::Now() + absl::Milliseconds(timeout_ms);
  }

  static int CurlEvents(uint32_t events) {
    int flags = 0;
    if (events & EPOLLIN) flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
    return flags;
  }

  // When the loop must next act by itself: curl's timer or a waiting transfer's deadline.
  absl::Time NextWakeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::optional<absl::Time> waiting = queue_.NextDeadline();
    return waiting ? std::min(*waiting, timer_at_) : timer_at_;
  }

  static int WaitMilliseconds(absl::Time wake_at) {
    return static_cast<int>(std::max<int64_t>(
        0, absl::ToInt64Milliseconds(absl::Ceil(wake_at - absl::Now(), absl::Milliseconds(1)))));
  }

  void FailExpired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (TransferId id : queue_.TakeExpired(absl::Now())) {
      Finish(id,
             GatewayError(Reason::kDeadlineBeforeUpstream,
                          absl::StrCat("the call's deadline passed while it waited for a "
                                       "connection to ",
                                       HostOf(active_.at(id)->request.url), "; it was not sent")));
    }
  }

  // Hands the transfers whose turn has come to curl and lets it send them. A quick
  // upstream may answer before curl returns, which frees a connection for the next.
  void StartWaiting() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (std::vector<TransferId> startable = queue_.TakeStartable(); !startable.empty();
         startable = queue_.TakeStartable()) {
      for (TransferId id : startable) Start(*active_.at(id));
      curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running_);
      CollectCompleted();
    }
  }

  // The transfers curl has finished, ended.
  void CollectCompleted() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg == CURLMSG_DONE) Complete(msg->easy_handle, msg->data.result);
    }
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
  CURL* AcquireEasy() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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
  void ReleaseEasy(CURL* easy) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (static_cast<int>(idle_easy_.size()) < options_.max_connections_per_host) {
      idle_easy_.push_back(easy);
    } else {
      curl_easy_cleanup(easy);
    }
  }

  // Hands a waiting transfer to curl, with what is left of its time. Sets every
  // option that differs between transfers, as the handle may have served another.
  void Start(Transfer& started) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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

  void Complete(CURL* easy, CURLcode result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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

  // Ends a transfer; its `done` waits in ready_ until mu_ is released. A no-op for
  // ids no longer active.
  void Finish(TransferId id, absl::StatusOr<HttpResponse> outcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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
    ready_.push_back({id, std::move(transfer->done), std::move(outcome)});
    transfer.reset();
    active_count_.fetch_sub(1, std::memory_order_relaxed);
  }

  const UpstreamOptions options_;
  std::thread thread_;
  std::atomic<int64_t> active_count_{0};
  int epoll_ = -1;  // curl's sockets and wake_
  int wake_ = -1;   // an eventfd: written to wake the loop

  absl::Mutex mu_;
  TransferQueue queue_ ABSL_GUARDED_BY(mu_);
  CURLM* multi_ ABSL_GUARDED_BY(mu_) = nullptr;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  // Waiting and running transfers.
  absl::flat_hash_map<TransferId, std::unique_ptr<Transfer>> active_ ABSL_GUARDED_BY(mu_);
  std::vector<CURL*> idle_easy_ ABSL_GUARDED_BY(mu_);
  std::vector<Ended> ready_ ABSL_GUARDED_BY(mu_);  // ended, `done` not yet run
  std::atomic<TransferId> last_id_{0};
  // What other threads hand the loop without waiting for mu_; taken after mu_.
  absl::Mutex handoff_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::vector<std::unique_ptr<Transfer>> handed_off_ ABSL_GUARDED_BY(handoff_mu_);
  std::vector<TransferId> to_cancel_ ABSL_GUARDED_BY(handoff_mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time timer_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();  // see ReadTimer
  // Until when the loop sleeps in epoll_wait; the past while it is awake.
  absl::Time sleeping_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
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
