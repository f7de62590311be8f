#include "auth/callback_envelope.h"

#include <optional>
#include <pugixml.hpp>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "auth/callback_signature.h"
#include "auth/nonce.h"
#include "service/events/xml_codec.h"

namespace wxgate {
namespace {

// <Encrypt>'s text in the envelope as WeChat writes it, found without building a
// tree: <xml>...<Encrypt>X</Encrypt>...</xml> or <Encrypt><![CDATA[X]]></Encrypt>,
// with no entity, comment, DOCTYPE or other markup declaration anywhere, and X
// holding no markup. Anything else is left to the XML parser (nullopt).
std::optional<absl::string_view> EncryptOfPlainEnvelope(absl::string_view body) {
  body = absl::StripAsciiWhitespace(body);
  if (!absl::ConsumePrefix(&body, "<xml>") || !absl::ConsumeSuffix(&body, "</xml>")) {
    return std::nullopt;
  }
  if (body.find('&') != absl::string_view::npos) return std::nullopt;
  for (size_t at = body.find("<!"); at != absl::string_view::npos; at = body.find("<!", at + 2)) {
    if (!absl::StartsWith(body.substr(at), "<![CDATA[")) return std::nullopt;
  }
  const size_t open = body.find("<Encrypt>");
  if (open == absl::string_view::npos) return std::nullopt;
  absl::string_view rest = body.substr(open + sizeof("<Encrypt>") - 1);
  const size_t close = rest.find("</Encrypt>");
  if (close == absl::string_view::npos ||
      rest.find("<Encrypt>", close) != absl::string_view::npos) {
    return std::nullopt;
  }
  absl::string_view text = rest.substr(0, close);
  if (absl::ConsumePrefix(&text, "<![CDATA[") && !absl::ConsumeSuffix(&text, "]]>")) {
    return std::nullopt;
  }
  if (text.find_first_of("<>]") != absl::string_view::npos) return std::nullopt;
  return text;
}

// <Encrypt>'s text: WeChat's envelope is scanned, anything unusual parsed as the
// untrusted XML it is.
absl::StatusOr<std::string> EncryptOf(absl::string_view body) {
  if (std::optional<absl::string_view> encrypt = EncryptOfPlainEnvelope(body)) {
    return std::string(*encrypt);
  }
  pugi::xml_document outer;
  if (absl::Status status = ParseUntrustedXml(body, outer); !status.ok()) return status;
  return std::string(outer.document_element().child("Encrypt").text().get());
}

}  // namespace

CallbackEnvelope::CallbackEnvelope(std::string token, config::v1::CallbackMode mode,
                                   std::optional<MessageCipher> cipher)
    : token_(std::move(token)), mode_(mode), cipher_(std::move(cipher)) {}

absl::Status CallbackEnvelope::Verify(const Query& query) const {
  if (!SignaturesEqual(CallbackSignature(token_, query.timestamp, query.nonce), query.signature)) {
    return absl::PermissionDeniedError("signature does not match");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CallbackEnvelope::Open(const Query& query,
                                                   absl::string_view body) const {
  if (!query.encrypted) {
    if (mode_ == config::v1::CALLBACK_MODE_SAFE) {
      return absl::PermissionDeniedError(
          "this account takes encrypted pushes only (safe mode); a clear push is refused");
    }
    if (absl::Status status = Verify(query); !status.ok()) return status;
    return std::string(body);
  }
  if (!cipher_.has_value()) {
    return absl::InvalidArgumentError(
        "the push is encrypted but this account is configured for plain mode; set its "
        "callback.mode and encoding_aes_key");
  }
  absl::StatusOr<std::string> encrypt_or = EncryptOf(body);
  if (!encrypt_or.ok()) return encrypt_or.status();
  const std::string& encrypt = *encrypt_or;
  if (encrypt.empty()) return absl::InvalidArgumentError("the encrypted push has no <Encrypt>");
  if (!SignaturesEqual(MessageSignature(token_, query.timestamp, query.nonce, encrypt),
                       query.msg_signature)) {
    return absl::PermissionDeniedError("msg_signature does not match");
  }
  return cipher_->Decrypt(encrypt);
}

absl::StatusOr<std::string> CallbackEnvelope::Seal(absl::string_view reply_xml,
                                                   absl::Time now) const {
  if (!cipher_.has_value()) {
    return absl::FailedPreconditionError(
        "cannot seal a reply: this account has no encoding_aes_key");
  }
  const std::string encrypt = cipher_->Encrypt(reply_xml);
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(now));
  const std::string nonce = NewNonce();
  pugi::xml_document document;
  pugi::xml_node root = document.append_child("xml");
  root.append_child("Encrypt").append_child(pugi::node_cdata).set_value(encrypt.c_str());
  root.append_child("MsgSignature")
      .append_child(pugi::node_cdata)
      .set_value(MessageSignature(token_, timestamp, nonce, encrypt).c_str());
  root.append_child("TimeStamp").text().set(timestamp.c_str());
  root.append_child("Nonce").append_child(pugi::node_cdata).set_value(nonce.c_str());
  std::ostringstream out;
  document.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

}  // namespace wxgate
