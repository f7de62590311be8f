// push_load plays WeChat at full speed against one safe-mode callback URL, for the
// side-by-side push benchmark (push_bench.py): it pre-generates distinct, freshly
// signed and encrypted text pushes (the gateway drops repeats and stale ones), sends
// them over `--concurrency` keep-alive connections, one push in flight on each, and
// prints one JSON line:
//
//   push_load --port 8081 --path /wechat/callback/wx1 --appid wx1 --token t
//     --aes_key <43 chars> --expect reply --server_pid 1234 --pushes 40000
//   {"pushes":40000,"errors":0,"pushes_per_s":15000,"cpu_us_per_push":60.1,
//    "p50_ms":0.8,"p99_ms":1.9,"peak_rss_mib":40.2,"checked":625}
//
// CPU and peak RSS are the server process's (/proc/<server_pid>), read before and
// after the measured pushes; latency is from the request's first byte sent to its
// answer's last byte read. Every 64th answer is checked: "success", or (--expect
// reply) a passive reply whose MsgSignature verifies and which decrypts to a text
// reply to the push's sender. Loopback only: the target is 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "auth/callback_signature.h"
#include "auth/message_cipher.h"
#include "auth/nonce.h"

ABSL_FLAG(int, port, 0, "the server's port on 127.0.0.1");
ABSL_FLAG(std::string, path, "/wechat/callback/wx1", "the account's callback path");
ABSL_FLAG(std::string, appid, "", "the account's appid");
ABSL_FLAG(std::string, token, "", "the account's callback token");
ABSL_FLAG(std::string, aes_key, "", "the account's EncodingAESKey (43 characters)");
ABSL_FLAG(std::string, expect, "success", "success | reply: what every answer must be");
ABSL_FLAG(std::string, reply_content, "pong", "the text a reply must carry (--expect reply)");
ABSL_FLAG(int, concurrency, 16, "connections, one push in flight on each");
ABSL_FLAG(int, pushes, 40000, "measured pushes");
ABSL_FLAG(int, warmup, 4000, "pushes sent before measuring");
ABSL_FLAG(int, server_pid, 0, "the server process, for its CPU time and peak RSS");
ABSL_FLAG(std::string, sender_prefix, "oBench", "prefix of each push's FromUserName");

namespace wxgate::bench {
namespace {

struct Push {
  std::string request;  // the whole HTTP request
  std::string from_user;
};

struct Outcome {
  std::vector<double> latencies_ms;
  int errors = 0;
  int checked = 0;
  std::string first_error;
};

// Distinct pushes: each has its own MsgId, sender, nonce and ciphertext.
std::vector<Push> MakePushes(int count, const MessageCipher& cipher) {
  const std::string token = absl::GetFlag(FLAGS_token);
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  const std::string prefix =
      absl::StrCat(absl::GetFlag(FLAGS_sender_prefix), absl::ToUnixMicros(absl::Now()), "_");
  const int64_t first_msg_id = 7000000000000000LL + absl::ToUnixMicros(absl::Now());
  std::vector<Push> pushes;
  pushes.reserve(count);
  for (int i = 0; i < count; ++i) {
    Push push;
    push.from_user = absl::StrCat(prefix, i);
    const std::string xml =
        absl::StrCat("<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[",
                     push.from_user, "]]></FromUserName><CreateTime>", timestamp,
                     "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ping ", i,
                     "]]></Content><MsgId>", first_msg_id + i, "</MsgId></xml>");
    const std::string nonce = NewNonce();
    const std::string encrypt = cipher.Encrypt(xml);
    const std::string body =
        absl::StrCat("<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[",
                     encrypt, "]]></Encrypt></xml>");
    push.request = absl::StrCat(
        "POST ", absl::GetFlag(FLAGS_path),
        "?signature=", CallbackSignature(token, timestamp, nonce), "&timestamp=", timestamp,
        "&nonce=", nonce, "&openid=", push.from_user,
        "&encrypt_type=aes&msg_signature=", MessageSignature(token, timestamp, nonce, encrypt),
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: ", body.size(),
        "\r\n\r\n", body);
    pushes.push_back(std::move(push));
  }
  return pushes;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    perror("connect");
    std::exit(1);
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads until `buffer` holds at least `size` bytes.
bool Fill(int fd, std::string& buffer, size_t size) {
  char chunk[16384];
  while (buffer.size() < size) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  return true;
}

// Reads until `buffer` holds `text` at or after `from`; its offset.
bool FillUntil(int fd, std::string& buffer, const std::string& text, size_t from, size_t& at) {
  while ((at = buffer.find(text, from)) == std::string::npos) {
    if (!Fill(fd, buffer, buffer.size() + 1)) return false;
  }
  return true;
}

// One answer, with a Content-Length or a chunked body (Node sends either);
// `buffer` keeps bytes read past it.
bool ReadAnswer(int fd, std::string& buffer, int& status, std::string& body) {
  size_t header_end = 0;
  if (!FillUntil(fd, buffer, "\r\n\r\n", 0, header_end)) return false;
  const std::string head = absl::AsciiStrToLower(buffer.substr(0, header_end));
  status = 0;
  if (head.size() < 12 || !absl::SimpleAtoi(head.substr(9, 3), &status)) return false;
  body.clear();
  size_t at = header_end + 4;
  if (const size_t field = head.find("\r\ncontent-length:"); field != std::string::npos) {
    const size_t value = field + 17;
    size_t length = 0;
    if (!absl::SimpleAtoi(
            absl::StripAsciiWhitespace(head.substr(value, head.find("\r\n", value) - value)),
            &length) ||
        !Fill(fd, buffer, at + length)) {
      return false;
    }
    body = buffer.substr(at, length);
    buffer.erase(0, at + length);
    return true;
  }
  if (!absl::StrContains(head, "\r\ntransfer-encoding: chunked")) return false;
  for (;;) {  // chunk: hex size CRLF data CRLF; the last has size 0 and ends with CRLF
    size_t line_end = 0;
    if (!FillUntil(fd, buffer, "\r\n", at, line_end)) return false;
    const size_t size = std::stoul(buffer.substr(at, line_end - at), nullptr, 16);
    at = line_end + 2;
    if (!Fill(fd, buffer, at + size + 2)) return false;
    body.append(buffer, at, size);
    at += size + 2;
    if (size == 0) break;
  }
  buffer.erase(0, at);
  return true;
}

std::string Between(const std::string& text, const std::string& open, const std::string& close) {
  const size_t start = text.find(open);
  if (start == std::string::npos) return "";
  const size_t from = start + open.size();
  const size_t end = text.find(close, from);
  return end == std::string::npos ? "" : text.substr(from, end - from);
}

// The element's text, CDATA or not.
std::string Element(const std::string& xml, const std::string& name) {
  std::string inner = Between(xml, "<" + name + ">", "</" + name + ">");
  if (absl::StartsWith(inner, "<![CDATA[") && absl::EndsWith(inner, "]]>")) {
    inner = inner.substr(9, inner.size() - 12);
  }
  return inner;
}

// "" when the answer is what WeChat would accept, else what is wrong.
std::string CheckAnswer(const std::string& body, const Push& push, const MessageCipher& cipher) {
  if (absl::GetFlag(FLAGS_expect) != "reply") {
    return body == "success" || body.empty() ? "" : absl::StrCat("not success: ", body);
  }
  const std::string encrypt = Element(body, "Encrypt");
  const std::string expected = MessageSignature(
      absl::GetFlag(FLAGS_token), Element(body, "TimeStamp"), Element(body, "Nonce"), encrypt);
  if (!SignaturesEqual(expected, Element(body, "MsgSignature"))) {
    return absl::StrCat("reply's MsgSignature does not verify: ", body);
  }
  absl::StatusOr<std::string> reply = cipher.Decrypt(encrypt);
  if (!reply.ok()) return absl::StrCat("reply does not decrypt: ", reply.status().ToString());
  if (Element(*reply, "ToUserName") != push.from_user || Element(*reply, "MsgType") != "text" ||
      Element(*reply, "Content") != absl::GetFlag(FLAGS_reply_content)) {
    return absl::StrCat("reply is not a text reply to ", push.from_user, ": ", *reply);
  }
  return "";
}

// Sends pushes[first, last) over `fds`, one in flight on each connection.
std::vector<Outcome> Run(const std::vector<Push>& pushes, size_t first, size_t last,
                         const std::vector<int>& fds, const MessageCipher& cipher) {
  std::atomic<size_t> next{first};
  std::vector<Outcome> outcomes(fds.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < fds.size(); ++t) {
    threads.emplace_back([&, t] {
      Outcome& outcome = outcomes[t];
      std::string buffer, body;
      for (size_t i = next++; i < last; i = next++) {
        const auto start = std::chrono::steady_clock::now();
        int status = 0;
        if (!SendAll(fds[t], pushes[i].request) || !ReadAnswer(fds[t], buffer, status, body)) {
          std::fprintf(stderr, "push_load: connection %zu failed\n", t);
          std::exit(1);
        }
        outcome.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
        std::string problem = status == 200 ? "" : absl::StrCat("HTTP ", status, ": ", body);
        if (problem.empty() && i % 64 == 0) {
          problem = CheckAnswer(body, pushes[i], cipher);
          ++outcome.checked;
        }
        if (!problem.empty()) {
          if (outcome.errors++ == 0) outcome.first_error = problem;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return outcomes;
}

// utime + stime of `pid`, in microseconds.
double CpuMicros(int pid) {
  std::ifstream file(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which may hold spaces: state is field 3.
  std::vector<std::string> fields = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
  double ticks = std::stod(fields[11]) + std::stod(fields[12]);  // utime, stime
  return ticks * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double PeakRssMib(int pid) {
  std::ifstream file(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(file, line)) {
    if (absl::StartsWith(line, "VmHWM:")) {
      double kib = 0;
      std::istringstream(line.substr(6)) >> kib;
      return kib / 1024;
    }
  }
  return 0;
}

int Main() {
  absl::StatusOr<MessageCipher> cipher =
      MessageCipher::Create(absl::GetFlag(FLAGS_aes_key), absl::GetFlag(FLAGS_appid));
  if (!cipher.ok()) {
    std::fprintf(stderr, "push_load: %s\n", cipher.status().ToString().c_str());
    return 2;
  }
  const int pid = absl::GetFlag(FLAGS_server_pid);
  const size_t warmup = static_cast<size_t>(absl::GetFlag(FLAGS_warmup));
  const size_t measured = static_cast<size_t>(absl::GetFlag(FLAGS_pushes));
  const std::vector<Push> pushes = MakePushes(static_cast<int>(warmup + measured), *cipher);
  std::vector<int> fds;
  for (int i = 0; i < absl::GetFlag(FLAGS_concurrency); ++i) {
    fds.push_back(Connect(absl::GetFlag(FLAGS_port)));
  }

  Run(pushes, 0, warmup, fds, *cipher);
  const double cpu_before = pid ? CpuMicros(pid) : 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Outcome> outcomes = Run(pushes, warmup, warmup + measured, fds, *cipher);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = pid ? CpuMicros(pid) - cpu_before : 0;
  for (int fd : fds) close(fd);

  std::vector<double> latencies;
  int errors = 0, checked = 0;
  std::string first_error;
  for (const Outcome& outcome : outcomes) {
    latencies.insert(latencies.end(), outcome.latencies_ms.begin(), outcome.latencies_ms.end());
    errors += outcome.errors;
    checked += outcome.checked;
    if (first_error.empty()) first_error = outcome.first_error;
  }
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double p) {
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  if (!first_error.empty())
    std::fprintf(stderr, "push_load: first error: %s\n", first_error.c_str());
  std::printf(
      "{\"pushes\":%zu,\"errors\":%d,\"checked\":%d,\"seconds\":%.3f,\"pushes_per_s\":%.0f,"
      "\"cpu_us_per_push\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"peak_rss_mib\":%.1f}\n",
      measured, errors, checked, seconds, measured / seconds, cpu / measured, percentile(0.50),
      percentile(0.99), pid ? PeakRssMib(pid) : 0);
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace wxgate::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return wxgate::bench::Main();
}
