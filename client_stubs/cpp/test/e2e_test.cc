// The C++ client package against a live gateway and the fake WeChat.
// tests/e2e/client_test.py starts them and sets WXGATE_E2E_*; without those the
// tests are skipped. Built against the installed package by cpp_client_test.sh.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "wechat/mp/v1/material.grpc.pb.h"
#include "wechat/mp/v1/tag.grpc.pb.h"
#include "wechat/mp/v1/user.grpc.pb.h"
#include "wxgate_client/error.h"
#include "wxgate_client/files.h"
#include "wxgate_client/gateway.h"
#include "wxgate_client/subscriber.h"

namespace {

using namespace std::chrono_literals;
using wechat::mp::v1::GetUserInfoRequest;
using wechat::mp::v1::GetUserInfoResponse;

constexpr char kOtherAppid[] = "wx2222222222222222";  // well formed, not configured
constexpr auto kTimeout = 60s;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// Runs argv, returns (exit status, stdout+stderr).
std::pair<int, std::string> Run(const std::vector<std::string>& argv) {
  std::string command;
  for (const std::string& arg : argv) command += "'" + arg + "' ";
  FILE* pipe = popen((command + "2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  return {pclose(pipe), out};
}

// Pushes a text message through the fake's push tool; returns the HTTP answer.
std::string Push(const std::string& content, int msg_id) {
  auto [status, out] = Run({Env("WXGATE_E2E_PUSH_TEXT"), content, std::to_string(msg_id)});
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("HTTP 200"), std::string::npos) << out;
  return out;
}

class CppClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("WXGATE_E2E_TARGET").empty())
      GTEST_SKIP() << "no live gateway: run through tests/e2e/client_test.py";
  }
  static wxgate_client::GatewayOptions Options() {
    wxgate_client::GatewayOptions options;
    options.appid = Env("WXGATE_E2E_APPID");
    options.timeout = kTimeout;
    return options;
  }
  static GetUserInfoRequest Follower() {
    GetUserInfoRequest request;
    request.set_openid(Env("WXGATE_E2E_OPENID"));
    return request;
  }
  grpc::Status GetUserInfo(const wxgate_client::Gateway& gateway, GetUserInfoResponse* user,
                           const std::string& appid = "") {
    grpc::ClientContext context;
    gateway.Prepare(context, appid);
    return wechat::mp::v1::UserService::NewStub(gateway.channel())
        ->GetUserInfo(&context, Follower(), user);
  }
};

TEST_F(CppClientTest, GetUserInfoReturnsTheFakesFollower) {
  wxgate_client::Gateway gateway(Env("WXGATE_E2E_TARGET"), Options());
  GetUserInfoResponse user;
  grpc::Status status = GetUserInfo(gateway, &user);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(user.openid(), Env("WXGATE_E2E_OPENID"));
  EXPECT_EQ(user.city(), "广州");
  EXPECT_EQ(std::vector<uint64_t>(user.tagid_list().begin(), user.tagid_list().end()),
            (std::vector<uint64_t>{128, 2}));
}

TEST_F(CppClientTest, WeChatErrorDecodesToErrcode) {
  wxgate_client::Gateway gateway(Env("WXGATE_E2E_TARGET"), Options());
  auto tags = wechat::mp::v1::TagService::NewStub(gateway.channel());
  wechat::mp::v1::CreateTagResponse created;
  grpc::ClientContext refused_call;
  gateway.Prepare(refused_call);
  grpc::Status refused = tags->CreateTag(&refused_call, {}, &created);  // no tag: WeChat's 47001
  auto error = wxgate_client::ErrorOf(refused);
  ASSERT_TRUE(error.has_value()) << refused.error_message();
  EXPECT_EQ(error->code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(error->reason, "WECHAT_47001");
  EXPECT_TRUE(error->is_wechat());
  EXPECT_EQ(error->errcode, 47001);
  EXPECT_NE(error->errmsg.find("data format error"), std::string::npos) << error->errmsg;

  wechat::mp::v1::CreateTagRequest create;
  create.mutable_tag()->set_name("广东");
  grpc::ClientContext create_call;
  gateway.Prepare(create_call);
  ASSERT_TRUE(tags->CreateTag(&create_call, create, &created).ok());
  EXPECT_GT(created.tag().id(), 0);
}

TEST_F(CppClientTest, GatewayReasonForAnUnknownAccount) {
  wxgate_client::Gateway gateway(Env("WXGATE_E2E_TARGET"), Options());
  GetUserInfoResponse user;
  auto error = wxgate_client::ErrorOf(GetUserInfo(gateway, &user, kOtherAppid));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(error->reason, "UNKNOWN_APPID");
  EXPECT_EQ(error->metadata["appid"], kOtherAppid);
  EXPECT_FALSE(error->is_wechat());
}

TEST_F(CppClientTest, ApiKeyGoesOutWithEveryCall) {
  // Anonymous callers are let in; a key no caller has is refused, never ignored.
  wxgate_client::GatewayOptions options = Options();
  options.api_key = "not-a-configured-key";
  wxgate_client::Gateway keyed(Env("WXGATE_E2E_TARGET"), options);
  GetUserInfoResponse user;
  auto error = wxgate_client::ErrorOf(GetUserInfo(keyed, &user));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->reason, "CALLER_UNAUTHENTICATED");
}

// The second gateway requires a client certificate and lets in only spiffe://test/shop.
TEST_F(CppClientTest, MtlsCallerIsKnownByItsCertificate) {
  const std::string target = Env("WXGATE_E2E_MTLS_TARGET");
  if (target.empty()) GTEST_SKIP() << "no mTLS gateway: run through tests/e2e/client_test.py";
  wxgate_client::GatewayOptions options = Options();
  options.tls = true;
  options.ca_pem = wxgate_client::ReadFile(Env("WXGATE_E2E_CA_FILE"));
  options.cert_pem = wxgate_client::ReadFile(Env("WXGATE_E2E_CLIENT_CERT"));
  options.key_pem = wxgate_client::ReadFile(Env("WXGATE_E2E_CLIENT_KEY"));
  GetUserInfoResponse user;
  grpc::Status status = GetUserInfo(wxgate_client::Gateway(target, options), &user);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(user.openid(), Env("WXGATE_E2E_OPENID"));
  EXPECT_EQ(user.city(), "广州");

  // TLS alone, trusting the same CA: the handshake fails, so the call never reaches
  // the gateway's admission (which would say why, in an ErrorInfo).
  options.cert_pem.clear();
  options.key_pem.clear();
  grpc::Status refused = GetUserInfo(wxgate_client::Gateway(target, options), &user);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_FALSE(wxgate_client::ErrorOf(refused).has_value()) << refused.error_message();
  std::printf("without a client certificate: %d %s\n", refused.error_code(),
              refused.error_message().c_str());
}

TEST_F(CppClientTest, UploadInPiecesAndDownload) {
  wxgate_client::Gateway gateway(Env("WXGATE_E2E_TARGET"), Options());
  auto material = wechat::mp::v1::MaterialService::NewStub(gateway.channel());
  std::string image(3 * wxgate_client::kPieceSize + 1000, '\xd8');
  std::istringstream in(image);
  wechat::mp::v1::UploadMediaResponse uploaded;
  grpc::ClientContext upload_call;
  gateway.Prepare(upload_call);
  grpc::Status status =
      wxgate_client::UploadMedia(*material, upload_call, wechat::mp::v1::MATERIAL_MEDIA_TYPE_IMAGE,
                                 "photo.jpg", in, &uploaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(uploaded.media_id().empty());
  EXPECT_TRUE(in.eof()) << "not all of the file was read";

  auto dir = std::filesystem::temp_directory_path() / ("wxgate-cpp-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "photo.jpg", std::ios::binary) << image;
  wechat::mp::v1::UploadMediaResponse from_file;
  grpc::ClientContext file_call;
  gateway.Prepare(file_call);
  ASSERT_TRUE(wxgate_client::UploadMediaFile(*material, file_call,
                                             wechat::mp::v1::MATERIAL_MEDIA_TYPE_IMAGE,
                                             (dir / "photo.jpg").string(), &from_file)
                  .ok());
  EXPECT_FALSE(from_file.media_id().empty());

  wxgate::file::v1::FileChunk meta;
  grpc::ClientContext download_call;
  gateway.Prepare(download_call);
  status = wxgate_client::DownloadMediaFile(*material, download_call, uploaded.media_id(),
                                            (dir / "download").string(), &meta);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::string written = wxgate_client::ReadFile((dir / "download").string());
  EXPECT_EQ(meta.content_type(), "image/jpeg");
  EXPECT_FALSE(written.empty());
  EXPECT_EQ(static_cast<int64_t>(written.size()), meta.size());
  std::ostringstream streamed;
  grpc::ClientContext stream_call;
  gateway.Prepare(stream_call);
  ASSERT_TRUE(
      wxgate_client::DownloadMedia(*material, stream_call, uploaded.media_id(), streamed, &meta)
          .ok());
  EXPECT_EQ(streamed.str(), written);
  std::filesystem::remove_all(dir);
}

// Cuts the live Subscribe stream as a network failure would: the call is cancelled
// and its reader sees UNAVAILABLE. Cut() runs in the subscriber's handler, so that
// the call's ClientContext is alive while TryCancel runs (from the test's thread the
// stream could end and the context go away during TryCancel).
class Cutter : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    if (std::string(info->method()) != "/wxgate.v1.EventService/Subscribe") return nullptr;
    return new Interceptor(this, info);
  }

  std::atomic<bool> armed{false};  // cut in the next handled event

  void Cut() {
    grpc::ClientContext* context = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ASSERT_NE(live_, nullptr) << "no live stream to cut";
      cut_ = live_;
      context = live_->client_context();
    }
    context->TryCancel();  // unlocked: the cancellation runs the interceptor at once
  }

 private:
  class Interceptor : public grpc::experimental::Interceptor {
   public:
    Interceptor(Cutter* cutter, grpc::experimental::ClientRpcInfo* info)
        : cutter_(cutter), info_(info) {}
    void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
      using grpc::experimental::InterceptionHookPoints;
      {
        std::lock_guard<std::mutex> lock(cutter_->mu_);
        if (methods->QueryInterceptionHookPoint(
                InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
          cutter_->live_ = info_;
        }
        if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
          if (cutter_->cut_ == info_)
            *methods->GetRecvStatus() =
                grpc::Status(grpc::StatusCode::UNAVAILABLE, "cut by the test");
          if (cutter_->live_ == info_) cutter_->live_ = nullptr;
        }
      }
      methods->Proceed();
    }

   private:
    Cutter* cutter_;
    grpc::experimental::ClientRpcInfo* info_;
  };

  std::mutex mu_;
  grpc::experimental::ClientRpcInfo* live_ = nullptr;
  grpc::experimental::ClientRpcInfo* cut_ = nullptr;
};

struct Handled {
  std::string content;
  uint64_t cursor;
};

// What the subscribers handled, in order.
class Inbox {
 public:
  void Add(Handled h) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(h));
    cv_.notify_all();
  }
  std::optional<Handled> Next(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    Handled h = items_.front();
    items_.pop_front();
    return h;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Handled> items_;
};

TEST_F(CppClientTest, SubscriberRepliesIsCutAndResumesWithoutLossOrRepeat) {
  auto cutter = std::make_shared<Cutter>();
  wxgate_client::GatewayOptions options = Options();
  options.interceptors.push_back(cutter);
  wxgate_client::Gateway gateway(Env("WXGATE_E2E_TARGET"), options);
  wxgate_client::MemoryCursorStore store;
  Inbox inbox;
  std::atomic<int> retries = 0;
  auto start = [&] {
    wxgate_client::SubscriberOptions subscription;
    // Long enough for the pushes after the cut to land while no stream is live.
    subscription.min_backoff = 1s;
    subscription.request.mutable_filter()->add_msg_types("text");
    subscription.request.set_replies(true);
    subscription.store = &store;
    subscription.on_retry = [&](const grpc::Status&, std::chrono::milliseconds) { ++retries; };
    auto subscriber = std::make_unique<wxgate_client::Subscriber>(gateway, subscription);
    std::thread thread([&inbox, cutter, s = subscriber.get()] {
      grpc::Status status = s->Run([&inbox, cutter](const wechat::mp::v1::Event& event) {
        inbox.Add({event.text().content(), event.cursor()});
        if (cutter->armed.exchange(false)) cutter->Cut();
        return std::optional(wxgate_client::TextReply("re: " + event.text().content()));
      });
      EXPECT_TRUE(status.ok()) << status.error_message();
    });
    return std::make_pair(std::move(subscriber), std::move(thread));
  };
  auto next = [&] {
    std::optional<Handled> h = inbox.Next(kTimeout);
    if (!h) ADD_FAILURE() << "no event within the timeout";
    return h.value_or(Handled{"(none)", 0});
  };
  cutter->armed = true;  // the first event handled cuts the stream after it
  auto [subscriber, thread] = start();

  // Live only: push until a push is delivered and replied to in the HTTP answer.
  std::vector<std::string> pushed;
  int msg_id = 5000;
  for (auto deadline = std::chrono::steady_clock::now() + kTimeout;;) {
    std::string content = "hello " + std::to_string(++msg_id);
    if (Push(content, msg_id).find("<Content><![CDATA[re: " + content + "]]></Content>") !=
        std::string::npos) {
      pushed.push_back(content);
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no reply in the HTTP answer";
    std::this_thread::sleep_for(50ms);
  }
  std::vector<Handled> got{next()};
  while (got[0].content != pushed[0] && got[0].content.rfind("hello ", 0) == 0) got[0] = next();

  for (const char* content : {"during the cut 1", "during the cut 2", "after the cut"}) {
    Push(content, ++msg_id);
    pushed.push_back(content);
  }
  while (got.size() < pushed.size() && !::testing::Test::HasFailure()) got.push_back(next());
  EXPECT_GT(retries.load(), 0) << "the subscriber never resumed: was the stream cut?";

  // A new subscriber on the same store starts after the last handled cursor.
  subscriber->Stop();
  thread.join();
  Push("while stopped", ++msg_id);
  pushed.push_back("while stopped");
  auto [second, second_thread] = start();
  got.push_back(next());
  second->Stop();
  second_thread.join();

  ASSERT_EQ(got.size(), pushed.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].content, pushed[i]) << "event " << i;
    if (i > 0) EXPECT_GT(got[i].cursor, got[i - 1].cursor);
  }
  EXPECT_FALSE(inbox.Next(1s).has_value()) << "an event delivered twice or unexpected";
}

TEST_F(CppClientTest, ExampleCallsAndReplies) {
  std::string example =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "wxgate_client_example")
          .string();
  std::string log =
      std::filesystem::temp_directory_path() / ("wxgate-cpp-example-" + std::to_string(getpid()));
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = freopen(log.c_str(), "w", stdout);
    dup2(fileno(out), 2);
    std::string target = Env("WXGATE_E2E_TARGET"), appid = Env("WXGATE_E2E_APPID"),
                openid = Env("WXGATE_E2E_OPENID");
    execl(example.c_str(), example.c_str(), "--target", target.c_str(), "--appid", appid.c_str(),
          "--openid", openid.c_str(), "--subscribe", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  bool replied = false;
  int msg_id = 7000;
  for (auto deadline = std::chrono::steady_clock::now() + kTimeout;
       !replied && std::chrono::steady_clock::now() < deadline;) {
    replied = Push("hi example", ++msg_id).find("you said: hi example") != std::string::npos;
    if (!replied) std::this_thread::sleep_for(50ms);
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::string output = wxgate_client::ReadFile(log);
  std::filesystem::remove(log);
  EXPECT_TRUE(replied) << output;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  for (const char* want :
       {"广州, tags 128 2", "tag created: 134", "errcode 47001", "oE2eUser says \"hi example\""}) {
    EXPECT_NE(output.find(want), std::string::npos)
        << "the example's output lacks " << want << ":\n"
        << output;
  }
}

}  // namespace
