#include "service/redis/redis_client.h"

#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/observe/log.h"
#include "tests/testing/redis_server.h"

namespace wxgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RedisServer;

constexpr absl::Duration kPatience = absl::Seconds(20);

// One command's answer, with the thread it arrived on.
struct Answer {
  absl::StatusOr<RedisReply> reply = absl::UnknownError("no answer");
  std::thread::id thread;
};

Answer Send(RedisClient& client, std::vector<std::string> args) {
  auto done = std::make_shared<absl::Notification>();
  auto answer = std::make_shared<Answer>();
  client.Command(std::move(args), [done, answer](absl::StatusOr<RedisReply> reply) {
    answer->reply = std::move(reply);
    answer->thread = std::this_thread::get_id();
    done->Notify();
  });
  EXPECT_TRUE(done->WaitForNotificationWithTimeout(kPatience)) << "no answer within 20 s";
  return *answer;
}

RedisOptions OptionsFor(const RedisServer& server) {
  return {.port = server.port(), .connect_timeout = absl::Seconds(5)};
}

TEST(RedisClientTest, SendsBinarySafeArgumentsAndAnswersOnItsOwnThread) {
  RedisServer server;
  RedisClient client(OptionsFor(server));
  ASSERT_TRUE(client.WaitReady(kPatience));
  const std::string value("a\0b\r\nc", 6);
  Answer set = Send(client, {"SET", "k", value});
  ASSERT_TRUE(set.reply.ok()) << set.reply.status();
  EXPECT_EQ(set.reply->type, RedisReply::Type::kStatus);
  EXPECT_EQ(set.reply->str, "OK");
  EXPECT_NE(set.thread, std::this_thread::get_id());

  Answer get = Send(client, {"GET", "k"});
  ASSERT_TRUE(get.reply.ok());
  EXPECT_EQ(get.reply->str, value);
  EXPECT_TRUE(Send(client, {"GET", "missing"}).reply->is_nil());
  EXPECT_EQ(Send(client, {"INCRBY", "n", "41"}).reply->AsInteger(), 41);

  Answer array = Send(client, {"EVAL", "return {1, 'two', {3}}", "0"});
  ASSERT_TRUE(array.reply.ok());
  ASSERT_EQ(array.reply->elements.size(), 3u);
  EXPECT_EQ(array.reply->elements[1].str, "two");
  EXPECT_EQ(array.reply->elements[2].elements[0].integer, 3);
}

TEST(RedisClientTest, AnErrorAnswerIsAnInternalStatusNamingRedis) {
  RedisServer server;
  RedisClient client(OptionsFor(server));
  ASSERT_TRUE(client.WaitReady(kPatience));
  Answer answer = Send(client, {"NOSUCHCOMMAND"});
  EXPECT_EQ(answer.reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(answer.reply.status().message(), HasSubstr("Redis answered: ERR unknown command"));
  // The connection is still good.
  EXPECT_TRUE(Send(client, {"PING"}).reply.ok());
}

TEST(RedisClientTest, WithoutAServerCommandsFailAtOnceAsUnavailable) {
  std::optional<int> port;
  {
    RedisServer server;
    port = server.port();
  }  // stopped: nothing listens there now
  RedisClient client({.port = *port});
  EXPECT_FALSE(client.ready());
  Answer answer = Send(client, {"PING"});
  EXPECT_EQ(answer.reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(answer.reply.status().message(),
              HasSubstr(absl::StrCat("Redis at 127.0.0.1:", *port, " is unreachable")));
}

TEST(RedisClientTest, ReconnectsAfterTheServerRestarts) {
  RedisServer server;
  RedisClient client(OptionsFor(server));
  ASSERT_TRUE(client.WaitReady(kPatience));
  ASSERT_TRUE(Send(client, {"SET", "k", "v"}).reply.ok());

  server.Stop();
  // The loss is noticed when the server closes the connection; until then a
  // command may still be sent and then fails with the connection.
  const absl::Time deadline = absl::Now() + kPatience;
  while (client.ready() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(client.ready());
  EXPECT_EQ(Send(client, {"PING"}).reply.status().code(), absl::StatusCode::kUnavailable);

  server.Start();
  ASSERT_TRUE(client.WaitReady(kPatience));
  EXPECT_EQ(Send(client, {"PING"}).reply->str, "PONG");
}

TEST(RedisClientTest, AuthenticatesAndSelectsTheDatabase) {
  RedisServer server({.password = "s3cret-pass"});
  RedisOptions options = OptionsFor(server);
  options.password = "s3cret-pass";
  options.db = 3;
  RedisClient client(options);
  ASSERT_TRUE(client.WaitReady(kPatience));
  ASSERT_TRUE(Send(client, {"SET", "in-db-3", "yes"}).reply.ok());
  EXPECT_EQ(server.Cli("-n 3 GET in-db-3"), "yes");
  EXPECT_EQ(server.Cli("-n 0 EXISTS in-db-3"), "0");
}

TEST(RedisClientTest, AWrongPasswordNeverConnectsAndIsNeverLogged) {
  std::vector<std::string> lines;
  absl::Mutex mu;
  LogSink previous = SetLogSink([&](const std::string& line) {
    absl::MutexLock lock(&mu);
    lines.push_back(line);
  });
  {
    RedisServer server({.password = "right-pass"});
    RedisOptions options = OptionsFor(server);
    options.password = "wrong-pass-XYZ";
    RedisClient client(options);
    EXPECT_FALSE(client.WaitReady(absl::Seconds(1)));
    Answer answer = Send(client, {"PING"});
    EXPECT_EQ(answer.reply.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(answer.reply.status().message(), Not(HasSubstr("wrong-pass-XYZ")));
  }
  SetLogSink(previous);
  absl::MutexLock lock(&mu);
  bool unreachable_logged = false;
  for (const std::string& line : lines) {
    EXPECT_THAT(line, Not(HasSubstr("wrong-pass-XYZ")));
    unreachable_logged |= absl::StrContains(line, "redis_unreachable");
  }
  EXPECT_TRUE(unreachable_logged);
}

TEST(RedisClientTest, AServerThatStopsAnsweringFailsCommandsAfterTheCommandTimeout) {
  RedisServer server;
  RedisOptions options = OptionsFor(server);
  options.command_timeout = absl::Milliseconds(200);
  RedisClient client(options);
  ASSERT_TRUE(client.WaitReady(kPatience));
  server.Freeze();  // only the timeout can end the command
  const absl::Time start = absl::Now();
  Answer answer = Send(client, {"PING"});
  const absl::Duration waited = absl::Now() - start;
  server.Resume();
  EXPECT_EQ(answer.reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(answer.reply.status().message(), HasSubstr("command_timeout"));
  EXPECT_LT(waited, absl::Seconds(30));
  // And it recovers once the server answers again.
  ASSERT_TRUE(client.WaitReady(kPatience));
  EXPECT_TRUE(Send(client, {"PING"}).reply.ok());
}

TEST(RedisClientTest, DestroyingTheClientFailsWhatIsPending) {
  RedisServer server;
  auto client = std::make_unique<RedisClient>(OptionsFor(server));
  ASSERT_TRUE(client->WaitReady(kPatience));
  server.Freeze();
  absl::Notification done;
  absl::Status status;
  client->Command({"PING"}, [&](absl::StatusOr<RedisReply> reply) {
    status = reply.status();
    done.Notify();
  });
  client.reset();
  server.Resume();
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace wxgate
