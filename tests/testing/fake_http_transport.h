// Test helper: a scripted HttpTransport. Nothing goes to the network; the test says
// what each request gets and when.
//
//   FakeHttpTransport transport;
//   transport.AnswerJson("/cgi-bin/stable_token", R"({"access_token":"T1","expires_in":7200})");
//   transport.Hold("/cgi-bin/stable_token");        // the next one waits for the test
//   transport.On([](const HttpRequest& r) { return PathOf(r.url) == "/x"; },
//                [](const HttpRequest& r) { return FakeHttpTransport::Json("{}"); });
//   … the code under test calls Send …
//   transport.held();                     // ids of the transfers waiting, oldest first
//   transport.Complete(id, FakeHttpTransport::Json(R"({"errcode":40001})"));
//   transport.sent("/cgi-bin/stable_token");   // every request sent there, in order
//
// A request is answered by the first of: the oldest answer queued for its URL path
// (a queued Hold holds it), the first rule whose matcher accepts it, else it is held.
// Answers run `done` inside Send, as the HttpTransport contract allows; a held
// transfer ends when the test calls Complete (`done` runs on the test's thread) or
// when it is cancelled. Cancel of a held transfer completes it with CANCELLED on the
// fake's own thread, never inside Cancel (the contract: inside Send or on a thread of
// the transport's own). The destructor cancels what is still held and waits for
// those callbacks. Thread-safe; `done` never runs under the fake's lock.
#ifndef WXGATE_TESTS_TESTING_FAKE_HTTP_TRANSPORT_H_
#define WXGATE_TESTS_TESTING_FAKE_HTTP_TRANSPORT_H_

#include <cctype>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/upstream/http_transport.h"

namespace wxgate::testing {

// "/cgi-bin/token" of "https://host:443/cgi-bin/token?appid=…".
inline std::string PathOf(absl::string_view url) {
  if (size_t scheme = url.find("://"); scheme != absl::string_view::npos) {
    url.remove_prefix(scheme + 3);
    const size_t slash = url.find('/');
    url.remove_prefix(slash == absl::string_view::npos ? url.size() : slash);
  }
  return std::string(url.substr(0, url.find('?')));
}

// The decoded query parameters of a URL (the last one wins when a name repeats).
inline std::map<std::string, std::string> QueryOf(absl::string_view url) {
  std::map<std::string, std::string> query;
  const size_t mark = url.find('?');
  if (mark == absl::string_view::npos) return query;
  auto decode = [](absl::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out += ' ';
      } else if (text[i] == '%' && i + 2 < text.size() &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  };
  absl::string_view rest = url.substr(mark + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    absl::string_view pair = rest.substr(0, amp);
    rest.remove_prefix(amp == absl::string_view::npos ? rest.size() : amp + 1);
    const size_t eq = pair.find('=');
    query[decode(pair.substr(0, eq))] =
        eq == absl::string_view::npos ? "" : decode(pair.substr(eq + 1));
  }
  return query;
}

class FakeHttpTransport : public HttpTransport {
 public:
  using Answer = absl::StatusOr<HttpResponse>;
  using Matcher = std::function<bool(const HttpRequest&)>;
  using Responder = std::function<Answer(const HttpRequest&)>;

  // A 200 answer with a JSON body, as WeChat sends them.
  static HttpResponse Json(std::string body, long status = 200) {  // NOLINT(runtime/int)
    return HttpResponse{.status = status,
                        .content_type = "application/json; encoding=utf-8",
                        .body = std::move(body)};
  }

  FakeHttpTransport() : canceller_([this] { CancelLoop(); }) {}
  ~FakeHttpTransport() override {
    std::vector<TransferId> still_held = held();
    for (TransferId id : still_held) Cancel(id);
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    canceller_.join();
  }
  FakeHttpTransport(const FakeHttpTransport&) = delete;
  FakeHttpTransport& operator=(const FakeHttpTransport&) = delete;

  // Queues `answer` for the next request to `path` that has none queued before it.
  void Queue(const std::string& path, Answer answer) {
    absl::MutexLock lock(&mu_);
    queued_[path].push_back(std::move(answer));
  }
  void AnswerJson(const std::string& path, std::string body) { Queue(path, Json(std::move(body))); }
  // Queues a hold: that request waits for Complete or Cancel.
  void Hold(const std::string& path) {
    absl::MutexLock lock(&mu_);
    queued_[path].push_back(std::nullopt);
  }
  // Answers every request `match` accepts (and no queued answer took) with `respond`.
  void On(Matcher match, Responder respond) {
    absl::MutexLock lock(&mu_);
    rules_.push_back({std::move(match), std::move(respond)});
  }

  TransferId Send(HttpRequest request, Done done) override {
    std::optional<Answer> answer;
    Responder respond;  // called unlocked: it may look at the fake
    TransferId id;
    {
      absl::MutexLock lock(&mu_);
      id = ++last_id_;
      const std::string path = PathOf(request.url);
      sent_.push_back({id, request});
      auto queue = queued_.find(path);
      if (queue != queued_.end() && !queue->second.empty()) {
        answer = std::move(queue->second.front());  // nullopt: a queued hold
        queue->second.pop_front();
      } else {
        for (const Rule& rule : rules_) {
          if (rule.match(request)) {
            respond = rule.respond;
            break;
          }
        }
      }
      if (!answer && !respond) held_.push_back({id, std::move(done)});
    }
    if (respond) answer = respond(request);
    if (answer) std::move(done)(*std::move(answer));
    return id;
  }

  // Ends a held transfer with `answer`, on the calling thread. False if `id` is not held.
  bool Complete(TransferId id, Answer answer) {
    std::optional<Done> done = TakeHeld(id);
    if (!done) return false;
    std::move (*done)(std::move(answer));
    return true;
  }
  // Ends the oldest held transfer.
  bool CompleteOldest(Answer answer) {
    std::vector<TransferId> ids = held();
    return !ids.empty() && Complete(ids.front(), std::move(answer));
  }

  void Cancel(TransferId id) override {
    absl::MutexLock lock(&mu_);
    cancelled_.push_back(id);
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if (it->id != id) continue;
      cancelling_.push_back(std::move(it->done));
      held_.erase(it);
      return;
    }
  }

  // The transfers waiting for the test, oldest first.
  std::vector<TransferId> held() const {
    absl::MutexLock lock(&mu_);
    std::vector<TransferId> ids;
    for (const Held& transfer : held_) ids.push_back(transfer.id);
    return ids;
  }
  // Every request sent (to `path`, when given), in order.
  std::vector<HttpRequest> sent(absl::string_view path = "") const {
    absl::MutexLock lock(&mu_);
    std::vector<HttpRequest> requests;
    for (const auto& [id, request] : sent_) {
      if (path.empty() || PathOf(request.url) == path) requests.push_back(request);
    }
    return requests;
  }
  int count(absl::string_view path = "") const { return static_cast<int>(sent(path).size()); }
  std::optional<HttpRequest> last(absl::string_view path = "") const {
    std::vector<HttpRequest> requests = sent(path);
    if (requests.empty()) return std::nullopt;
    return requests.back();
  }
  // Every id passed to Cancel, in order (ended transfers included).
  std::vector<TransferId> cancelled() const {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

 private:
  struct Rule {
    Matcher match;
    Responder respond;
  };
  struct Held {
    TransferId id;
    Done done;
  };

  std::optional<Done> TakeHeld(TransferId id) {
    absl::MutexLock lock(&mu_);
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if (it->id != id) continue;
      Done done = std::move(it->done);
      held_.erase(it);
      return done;
    }
    return std::nullopt;
  }

  bool CancelDueLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !cancelling_.empty() || stopping_;
  }
  void CancelLoop() {
    absl::MutexLock lock(&mu_);
    while (true) {
      mu_.Await(absl::Condition(this, &FakeHttpTransport::CancelDueLocked));
      if (cancelling_.empty()) return;  // stopping
      std::vector<Done> batch;
      batch.swap(cancelling_);
      mu_.Unlock();
      for (Done& done : batch) std::move(done)(absl::CancelledError("transfer cancelled"));
      mu_.Lock();
    }
  }

  mutable absl::Mutex mu_;
  TransferId last_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::deque<std::optional<Answer>>> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<Rule> rules_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<TransferId, HttpRequest>> sent_ ABSL_GUARDED_BY(mu_);
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
  std::vector<TransferId> cancelled_ ABSL_GUARDED_BY(mu_);
  std::vector<Done> cancelling_ ABSL_GUARDED_BY(mu_);  // for the canceller thread
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread canceller_;  // last: it starts once the members above exist
};

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_FAKE_HTTP_TRANSPORT_H_
