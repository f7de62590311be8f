// Calls wxgate from C++: a follower's profile, a tag created (and one refused, to
// show a WeChat error), and with --subscribe a subscriber that answers every text
// message until SIGINT or SIGTERM.
//
//   wxgate_client_example --target 127.0.0.1:50051 --openid o6_bm... [--appid wx...] [--subscribe]
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "wechat/mp/v1/tag.grpc.pb.h"
#include "wechat/mp/v1/user.grpc.pb.h"
#include "wxgate_client/error.h"
#include "wxgate_client/gateway.h"
#include "wxgate_client/subscriber.h"

namespace {
volatile std::sig_atomic_t stop_requested = 0;
}

int main(int argc, char** argv) {
  std::string target = "127.0.0.1:50051", openid;
  wxgate_client::GatewayOptions options;
  bool subscribe = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--subscribe") {
      subscribe = true;
    } else if (i + 1 < argc && arg == "--target") {
      target = argv[++i];
    } else if (i + 1 < argc && arg == "--appid") {
      options.appid = argv[++i];
    } else if (i + 1 < argc && arg == "--openid") {
      openid = argv[++i];
    } else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (const char* key = std::getenv("WXGATE_API_KEY")) options.api_key = key;
  wxgate_client::Gateway gateway(target, options);

  auto users = wechat::mp::v1::UserService::NewStub(gateway.channel());
  wechat::mp::v1::GetUserInfoRequest request;
  request.set_openid(openid);
  wechat::mp::v1::GetUserInfoResponse user;
  grpc::ClientContext user_call;
  gateway.Prepare(user_call);
  if (grpc::Status s = users->GetUserInfo(&user_call, request, &user); !s.ok()) {
    auto error = wxgate_client::ErrorOf(s);
    std::cerr << "GetUserInfo: " << s.error_message() << " (reason "
              << (error ? error->reason : "none") << ")\n";
    return 1;
  }
  std::cout << "user " << user.openid() << ": " << user.nickname() << ", " << user.city()
            << ", tags";
  for (auto tag : user.tagid_list()) std::cout << " " << tag;
  std::cout << "\n";

  auto tags = wechat::mp::v1::TagService::NewStub(gateway.channel());
  wechat::mp::v1::CreateTagRequest create;
  create.mutable_tag()->set_name("VIP");
  wechat::mp::v1::CreateTagResponse created;
  grpc::ClientContext create_call;
  gateway.Prepare(create_call);
  if (grpc::Status s = tags->CreateTag(&create_call, create, &created); s.ok()) {
    std::cout << "tag created: " << created.tag().id() << " " << created.tag().name() << "\n";
  }
  grpc::ClientContext refused_call;  // no tag: WeChat refuses
  gateway.Prepare(refused_call);
  grpc::Status refused =
      tags->CreateTag(&refused_call, wechat::mp::v1::CreateTagRequest(), &created);
  if (auto error = wxgate_client::ErrorOf(refused); error && error->is_wechat()) {
    std::cout << "tag refused: errcode " << error->errcode << " (" << error->errmsg << "), rid \""
              << error->rid << "\", reason " << error->reason << "\n";
  }
  if (!subscribe) return 0;

  wxgate_client::SubscriberOptions subscription;
  subscription.request.mutable_filter()->add_msg_types("text");
  subscription.request.set_replies(true);
  subscription.on_retry = [](const grpc::Status& s, std::chrono::milliseconds wait) {
    std::cerr << "resuming in " << wait.count() << " ms: " << s.error_message() << "\n";
  };
  wxgate_client::Subscriber subscriber(gateway, subscription);
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::thread watcher([&] {
    while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    subscriber.Stop();
  });
  grpc::Status ended = subscriber.Run([](const wechat::mp::v1::Event& event) {
    std::cout << event.from_user_name() << " says \"" << event.text().content() << "\""
              << std::endl;
    return std::optional(wxgate_client::TextReply("you said: " + event.text().content()));
  });
  stop_requested = 1;
  watcher.join();
  if (!ended.ok()) std::cerr << "subscription ended: " << ended.error_message() << "\n";
  return ended.ok() ? 0 : 1;
}
