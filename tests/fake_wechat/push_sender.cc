#include "tests/fake_wechat/push_sender.h"

#include <curl/curl.h>

#include <optional>
#include <pugixml.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/callback_signature.h"
#include "auth/message_cipher.h"
#include "auth/nonce.h"

namespace wxgate::fake {

std::string ComponentTicketXml(const std::string& component_appid, const std::string& ticket,
                               absl::Time now) {
  return absl::StrCat("<xml><AppId><![CDATA[", component_appid, "]]></AppId><CreateTime>",
                      absl::ToUnixSeconds(now),
                      "</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType>"
                      "<ComponentVerifyTicket><![CDATA[",
                      ticket, "]]></ComponentVerifyTicket></xml>");
}

std::string AuthorizedXml(const std::string& component_appid, const std::string& authorizer_appid,
                          const std::string& code, absl::Time now) {
  const int64_t seconds = absl::ToUnixSeconds(now);
  return absl::StrCat("<xml><AppId><![CDATA[", component_appid, "]]></AppId><CreateTime>", seconds,
                      "</CreateTime><InfoType><![CDATA[authorized]]></InfoType>"
                      "<AuthorizerAppid><![CDATA[",
                      authorizer_appid, "]]></AuthorizerAppid><AuthorizationCode><![CDATA[", code,
                      "]]></AuthorizationCode><AuthorizationCodeExpiredTime>", seconds + 3600,
                      "</AuthorizationCodeExpiredTime></xml>");
}

std::string UnauthorizedXml(const std::string& component_appid, const std::string& authorizer_appid,
                            absl::Time now) {
  return absl::StrCat("<xml><AppId><![CDATA[", component_appid, "]]></AppId><CreateTime>",
                      absl::ToUnixSeconds(now),
                      "</CreateTime><InfoType><![CDATA[unauthorized]]></InfoType>"
                      "<AuthorizerAppid><![CDATA[",
                      authorizer_appid, "]]></AuthorizerAppid></xml>");
}

namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The safe-mode reply's XML, after checking its signature as WeChat does.
absl::StatusOr<std::string> OpenReply(const PushTarget& target, const MessageCipher& cipher,
                                      const std::string& body) {
  pugi::xml_document document;
  if (!document.load_string(body.c_str())) {
    return absl::DataLossError(absl::StrCat("safe-mode answer is not XML: ", body));
  }
  const pugi::xml_node root = document.document_element();
  const std::string encrypt = root.child("Encrypt").text().get();
  const std::string expected = MessageSignature(target.token, root.child("TimeStamp").text().get(),
                                                root.child("Nonce").text().get(), encrypt);
  if (!SignaturesEqual(expected, root.child("MsgSignature").text().get())) {
    return absl::DataLossError("safe-mode reply's MsgSignature does not match");
  }
  absl::StatusOr<std::string> plain = cipher.Decrypt(encrypt);
  if (!plain.ok()) return absl::DataLossError(plain.status().message());
  return plain;
}

}  // namespace

PushSender::PushSender(PushTarget target) : target_(std::move(target)), curl_(curl_easy_init()) {}

PushSender::~PushSender() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

absl::StatusOr<PushAnswer> PushSender::Send(const std::string& xml) {
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  const std::string nonce = NewNonce();
  std::string url = absl::StrCat(target_.url, "?timestamp=", timestamp, "&nonce=", nonce,
                                 "&signature=", CallbackSignature(target_.token, timestamp, nonce),
                                 "&openid=oFake");
  std::string body = xml;
  std::optional<MessageCipher> cipher;
  if (!target_.encoding_aes_key.empty()) {
    absl::StatusOr<MessageCipher> created =
        MessageCipher::Create(target_.encoding_aes_key, target_.appid);
    if (!created.ok()) return created.status();
    cipher = *std::move(created);
    const std::string encrypt = cipher->Encrypt(xml);
    absl::StrAppend(&url, "&encrypt_type=aes&msg_signature=",
                    MessageSignature(target_.token, timestamp, nonce, encrypt));
    body = absl::StrCat("<xml><ToUserName><![CDATA[gh_fake]]></ToUserName><Encrypt><![CDATA[",
                        encrypt, "]]></Encrypt></xml>");
  }

  CURL* curl = static_cast<CURL*>(curl_);
  PushAnswer answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(target_.timeout)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (CURLcode code = curl_easy_perform(curl); code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("push to ", target_.url, ": ", curl_easy_strerror(code)));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.http_status);
  if (cipher && answer.http_status == 200 && absl::StartsWith(answer.body, "<xml>")) {
    absl::StatusOr<std::string> reply = OpenReply(target_, *cipher, answer.body);
    if (!reply.ok()) return reply.status();
    answer.body = *std::move(reply);
  }
  return answer;
}

}  // namespace wxgate::fake
