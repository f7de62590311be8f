#include "service/redis/redis_client.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "service/observe/log.h"
#include "service/redis/hiredis_asio.h"

namespace wxgate {
namespace {

namespace asio = boost::asio;

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
// How often the age of the oldest unanswered command is checked.
constexpr absl::Duration kTimeoutCheck = absl::Milliseconds(50);

RedisReply CopyReply(const redisReply& reply) {
  RedisReply copy;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      copy.type = RedisReply::Type::kString;
      break;
    case REDIS_REPLY_STATUS:
      copy.type = RedisReply::Type::kStatus;
      break;
    case REDIS_REPLY_ERROR:
      copy.type = RedisReply::Type::kError;
      break;
    case REDIS_REPLY_INTEGER:
      copy.type = RedisReply::Type::kInteger;
      copy.integer = reply.integer;
      return copy;
    case REDIS_REPLY_ARRAY:
      copy.type = RedisReply::Type::kArray;
      copy.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i)
        copy.elements.push_back(CopyReply(*reply.element[i]));
      return copy;
    default:
      return copy;  // nil
  }
  copy.str.assign(reply.str, reply.len);
  return copy;
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

}  // namespace

// Lives on the client's I/O thread: every member is touched only there, except
// Send and Stop, which post to it.
class RedisClient::Connection {
 public:
  Connection(RedisClient& client, RedisOptions options)
      : client_(client),
        options_(std::move(options)),
        work_(asio::make_work_guard(io_)),
        connect_deadline_(io_),
        reconnect_timer_(io_),
        timeout_check_(io_) {}

  void Run() {
    asio::post(io_, [this] { Connect(); });
    io_.run();
  }

  void Stop() {
    asio::post(io_, [this] {
      stopping_ = true;
      connect_deadline_.cancel();
      reconnect_timer_.cancel();
      timeout_check_.cancel();
      for (const auto& timer : timers_) timer->cancel();
      if (ac_ != nullptr) Drop("the gateway is shutting down");
      work_.reset();
    });
  }

  void After(absl::Duration delay, absl::AnyInvocable<void() &&> task) {
    asio::post(io_, [this, delay, task = std::move(task)]() mutable {
      if (stopping_) return;
      auto timer = std::make_shared<asio::steady_timer>(io_, ToChrono(delay));
      timers_.insert(timer);
      timer->async_wait(
          [this, timer, task = std::move(task)](boost::system::error_code error) mutable {
            timers_.erase(timer);
            if (!error && !stopping_) std::move(task)();
          });
    });
  }

  void Send(std::vector<std::string> args, Done done) {
    asio::post(io_, [this, args = std::move(args), done = std::move(done)]() mutable {
      if (state_ != State::kReady) {
        return std::move(done)(absl::UnavailableError(
            absl::StrCat("Redis at ", client_.address(), " is unreachable", ErrorSuffix())));
      }
      Issue(args, std::move(done));
    });
  }

 private:
  enum class State { kDown, kConnecting, kReady };
  struct Pending {
    Connection* connection;
    uint64_t generation;
    Done done;
  };

  std::string ErrorSuffix() const {
    return last_error_.empty() ? "" : absl::StrCat(": ", last_error_);
  }

  void Connect() {
    if (stopping_) return;
    ++generation_;
    ac_ = redisAsyncConnect(options_.host.c_str(), options_.port);
    if (ac_ == nullptr || ac_->err != 0) {
      ReportDown(ac_ == nullptr ? "out of memory" : ac_->errstr);
      if (ac_ != nullptr) redisAsyncFree(ac_);
      ac_ = nullptr;
      return ScheduleReconnect();
    }
    ac_->data = this;
    AttachToAsio(io_, ac_);
    redisAsyncSetConnectCallback(ac_, [](const redisAsyncContext* ac, int status) {
      static_cast<Connection*>(ac->data)->OnConnect(ac, status);
    });
    redisAsyncSetDisconnectCallback(ac_, [](const redisAsyncContext* ac, int status) {
      static_cast<Connection*>(ac->data)->OnDisconnect(ac);
    });
    state_ = State::kConnecting;
    connect_deadline_.expires_after(ToChrono(options_.connect_timeout));
    connect_deadline_.async_wait([this, generation = generation_](boost::system::error_code error) {
      if (error || generation != generation_ || state_ != State::kConnecting) return;
      Drop(absl::StrCat("no answer within connect_timeout (",
                        absl::FormatDuration(options_.connect_timeout), ")"));
    });
  }

  void OnConnect(const redisAsyncContext* ac, int status) {
    if (ac != ac_) return;
    if (status != REDIS_OK) {
      // hiredis frees the context after this callback.
      ac_ = nullptr;
      state_ = State::kDown;
      ReportDown(ac->errstr);
      return ScheduleReconnect();
    }
    Handshake();
  }

  // Authenticates, selects the database and checks with PING; the connection takes
  // commands once all three are answered without error.
  void Handshake() {
    auto check = [this, generation = generation_](absl::StatusOr<RedisReply> reply) {
      if (generation != generation_ || reply.ok()) return;
      if (handshake_error_.empty()) handshake_error_ = std::string(reply.status().message());
    };
    handshake_error_.clear();
    if (!options_.password.empty()) Issue({"AUTH", options_.password}, check);
    if (options_.db != 0) Issue({"SELECT", absl::StrCat(options_.db)}, check);
    Issue({"PING"}, [this, generation = generation_](absl::StatusOr<RedisReply> reply) {
      if (generation != generation_ || state_ != State::kConnecting) return;
      if (handshake_error_.empty() && !reply.ok())
        handshake_error_ = std::string(reply.status().message());
      if (!handshake_error_.empty()) return Drop(handshake_error_);
      connect_deadline_.cancel();
      state_ = State::kReady;
      backoff_ = kFirstBackoff;
      last_error_.clear();
      reported_down_ = false;
      client_.SetReady(true);
      Log(LogLevel::kInfo, "redis_connected", {{"address", client_.address()}});
      CheckTimeouts();
    });
  }

  void OnDisconnect(const redisAsyncContext* ac) {
    if (ac != ac_) return;  // dropped by us: already handled
    ac_ = nullptr;
    MarkDown(ac->err != 0 ? ac->errstr : "the server closed the connection");
  }

  // Ends the connection: every pending command fails, then a reconnect is scheduled.
  void Drop(const std::string& why) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    MarkDown(why);
    // Runs the pending callbacks with no reply (now, or after the hiredis callback
    // this is called from returns).
    if (ac != nullptr) redisAsyncFree(ac);
  }

  void MarkDown(const std::string& why) {
    const bool was_ready = state_ == State::kReady;
    state_ = State::kDown;
    ++generation_;
    sent_.clear();
    client_.SetReady(false);
    if (was_ready && !stopping_) {
      Log(LogLevel::kWarning, "redis_connection_lost",
          {{"address", client_.address()}, {"error", why}});
      reported_down_ = true;
    }
    ReportDown(why);
    ScheduleReconnect();
  }

  void ReportDown(absl::string_view why) {
    last_error_ = std::string(why);
    if (reported_down_ || stopping_) return;
    reported_down_ = true;
    Log(LogLevel::kWarning, "redis_unreachable", {{"address", client_.address()}, {"error", why}});
  }

  void ScheduleReconnect() {
    if (stopping_) return;
    reconnect_timer_.expires_after(ToChrono(backoff_));
    backoff_ = std::min(backoff_ * 2, options_.max_reconnect_backoff);
    reconnect_timer_.async_wait([this](boost::system::error_code error) {
      if (!error && ac_ == nullptr) Connect();
    });
  }

  void CheckTimeouts() {
    timeout_check_.expires_after(ToChrono(kTimeoutCheck));
    timeout_check_.async_wait([this, generation = generation_](boost::system::error_code error) {
      if (error || generation != generation_ || state_ != State::kReady) return;
      if (!sent_.empty() && absl::Now() - sent_.front() > options_.command_timeout) {
        return Drop(absl::StrCat("no answer within command_timeout (",
                                 absl::FormatDuration(options_.command_timeout), ")"));
      }
      CheckTimeouts();
    });
  }

  void Issue(const std::vector<std::string>& args, Done done) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* pending = new Pending{this, generation_, std::move(done)};
    if (redisAsyncCommandArgv(ac_, &OnReply, pending, static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
      std::unique_ptr<Pending> failed(pending);
      return std::move(failed->done)(
          absl::UnavailableError(absl::StrCat("Redis at ", client_.address(), " is unreachable")));
    }
    sent_.push_back(absl::Now());
  }

  static void OnReply(redisAsyncContext*, void* reply, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    Connection& self = *pending->connection;
    if (pending->generation == self.generation_ && !self.sent_.empty()) self.sent_.pop_front();
    auto* answer = static_cast<redisReply*>(reply);
    if (answer == nullptr) {
      return std::move(pending->done)(absl::UnavailableError(absl::StrCat(
          "the connection to Redis at ", self.client_.address(), " ended", self.ErrorSuffix())));
    }
    if (answer->type == REDIS_REPLY_ERROR) {
      return std::move(pending->done)(absl::InternalError(
          absl::StrCat("Redis answered: ", absl::string_view(answer->str, answer->len))));
    }
    std::move(pending->done)(CopyReply(*answer));
  }

  RedisClient& client_;
  const RedisOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer connect_deadline_;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer timeout_check_;
  absl::flat_hash_set<std::shared_ptr<asio::steady_timer>> timers_;  // of After

  redisAsyncContext* ac_ = nullptr;
  State state_ = State::kDown;
  // Changes with every connection attempt and every loss, so that late callbacks
  // and timers of an earlier connection know they are stale.
  uint64_t generation_ = 0;
  std::deque<absl::Time> sent_;  // when each unanswered command was sent, oldest first
  std::string handshake_error_;
  std::string last_error_;
  absl::Duration backoff_ = kFirstBackoff;
  bool reported_down_ = false;  // this outage is logged
  bool stopping_ = false;
};

RedisClient::RedisClient(RedisOptions options)
    : address_(absl::StrCat(options.host, ":", options.port)),
      connection_(std::make_unique<Connection>(*this, std::move(options))),
      thread_([this] { connection_->Run(); }) {}

RedisClient::~RedisClient() {
  connection_->Stop();
  thread_.join();
}

void RedisClient::Command(std::vector<std::string> args, Done done) {
  connection_->Send(std::move(args), std::move(done));
}

void RedisClient::SetReady(bool ready) {
  absl::MutexLock lock(&ready_mu_);
  ready_.store(ready, std::memory_order_release);
}

bool RedisClient::WaitReady(absl::Duration timeout) const {
  absl::MutexLock lock(&ready_mu_);
  return ready_mu_.AwaitWithTimeout(
      absl::Condition(
          +[](const std::atomic<bool>* ready) { return ready->load(); }, &ready_),
      timeout);
}

void RedisClient::After(absl::Duration delay, absl::AnyInvocable<void() &&> task) {
  connection_->After(delay, std::move(task));
}

}  // namespace wxgate
