// Failures that FakeWeChat can inject in place of a normal answer, to test how a
// client copes with a broken upstream. What each one looks like on the wire:
//
//   kHttpStatus          HTTP `http_status` with a short text body
//   kNotJson             HTTP 200 with an HTML page (what a proxy error page looks like)
//   kTruncated           headers announce more bytes than are sent, then the connection closes
//   kCloseWithoutAnswer  the request is read, then the connection closes with no answer
//   kErrcode             HTTP 200 {"errcode": errcode, "errmsg": errmsg}
//   kFile                HTTP 200 with `body` as `content_type` (not a failure: a download
//                        far larger than the table's sample)
#ifndef WXGATE_TESTS_FAKE_WECHAT_FAILURE_H_
#define WXGATE_TESTS_FAKE_WECHAT_FAILURE_H_

#include <string>
#include <utility>

namespace wxgate::fake {

enum class FailureKind { kHttpStatus, kNotJson, kTruncated, kCloseWithoutAnswer, kErrcode, kFile };

struct Failure {
  FailureKind kind;
  int http_status = 500;     // kHttpStatus only
  int errcode = 0;           // kErrcode only
  std::string errmsg;        // kErrcode only; empty = "fake: injected errcode"
  std::string content_type;  // kFile only
  std::string body;          // kFile only

  // Shorthands; they also spare callers GCC 12's -Wmissing-field-initializers on
  // designated initializers.
  static Failure HttpStatus(int status) {
    return {FailureKind::kHttpStatus, status, 0, "", "", ""};
  }
  static Failure NotJson() { return {FailureKind::kNotJson, 500, 0, "", "", ""}; }
  static Failure Truncated() { return {FailureKind::kTruncated, 500, 0, "", "", ""}; }
  static Failure CloseWithoutAnswer() {
    return {FailureKind::kCloseWithoutAnswer, 500, 0, "", "", ""};
  }
  static Failure Errcode(int errcode, std::string errmsg = "") {
    return {FailureKind::kErrcode, 500, errcode, std::move(errmsg), "", ""};
  }
  static Failure File(std::string content_type, std::string body) {
    return {FailureKind::kFile, 200, 0, "", std::move(content_type), std::move(body)};
  }
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_FAILURE_H_
