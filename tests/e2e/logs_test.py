"""The gateway's JSON log lines and W3C trace context, end to end: a call's `call`
line carries the caller's traceparent and x-request-id (and the id comes back in
the answer's metadata); a push's traceparent header reaches the subscriber in the
event, and the push's lines and the Reply's line name its trace; every line on
stderr parses as JSON; the info level shows failed calls only.

    /usr/bin/python3 tests/e2e/logs_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN
"""

import json
import os
import re
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402
from wechat_push import TIMEOUT, Subscription, push, text_push  # noqa: E402

ARGS = None
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
CALL_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PUSH_TRACE = "0af7651916cd43dd8448eb211c80319c"
CONTENT = "secret-content-of-a-user"  # message content: never in a log line


def traceparent(trace_id, span_id="00f067aa0ba902b7"):
    return f"00-{trace_id}-{span_id}-01"


def json_lines(path):
    """Every line the gateway wrote to stderr, parsed; stdout's one banner is left out."""
    lines = []
    for text in stack._read(path).splitlines():
        if stack._SERVING.match(text):
            continue
        lines.append(json.loads(text))  # raises on the first line that is not JSON
    return lines


def wait_for_line(path, process, what, **fields):
    """The first JSON line whose fields include `fields`, polling the log file."""
    def find():
        for line in json_lines(path):
            if all(line.get(key) == value for key, value in fields.items()):
                return line
        return None
    return stack.wait_until(find, TIMEOUT, what, process, path)


class DebugJsonLogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = stack.running(ARGS, extra="log:\n  format: json\n  level: debug\n")
        cls.stack = cls._stack.__enter__()
        cls.channel = grpc.insecure_channel(cls.stack.target)
        cls.users = user_pb2_grpc.UserServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        try:
            # Stopped first, so that its drain lines are checked too; then the stack
            # removes the log with its temp dir.
            stack._stop(cls.stack.gateway)
            cls.assert_only_json_and_nothing_secret(cls.stack.log)
        finally:
            cls._stack.__exit__(None, None, None)

    @staticmethod
    def assert_only_json_and_nothing_secret(log):
        text = stack._read(log)
        events = {line["event"] for line in json_lines(log)}
        assert {"call", "push", "callback_refused"} <= events, events
        for secret in (stack.SECRET, stack.CALLBACK_TOKEN, OPENID, "oE2eUser", CONTENT):
            assert secret not in text, f"{secret!r} is in the log"

    def line(self, what, **fields):
        return wait_for_line(self.stack.log, self.stack.gateway, what, **fields)

    def test_a_call_line_carries_the_callers_trace_and_request_id(self):
        _, call = self.users.GetUserInfo.with_call(
            user_pb2.GetUserInfoRequest(openid=OPENID), timeout=TIMEOUT,
            metadata=[("traceparent", traceparent(CALL_TRACE)), ("x-request-id", "e2e-call-1")])
        self.assertIn(("x-request-id", "e2e-call-1"), tuple(call.initial_metadata()))
        line = self.line("the call line", event="call", request_id="e2e-call-1")
        self.assertEqual(line["level"], "DEBUG")
        self.assertEqual(line["trace_id"], CALL_TRACE)
        self.assertRegex(line["span_id"], r"^[0-9a-f]{16}$")
        self.assertNotEqual(line["span_id"], "00f067aa0ba902b7")  # the gateway's own span
        self.assertEqual(line["method"], "wechat.mp.v1.UserService/GetUserInfo")
        self.assertEqual(line["caller"], "anonymous")
        self.assertEqual(line["appid"], self.stack.appid)
        self.assertEqual(line["code"], "OK")
        self.assertGreaterEqual(float(line["latency_ms"]), 0.0)
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_a_call_without_traceparent_gets_a_new_trace_and_request_id(self):
        _, call = self.users.GetUserInfo.with_call(
            user_pb2.GetUserInfoRequest(openid=OPENID), timeout=TIMEOUT,
            metadata=[("traceparent", "00-not-a-valid-traceparent"),
                      ("x-request-id", "has a space")])
        request_id = dict(call.initial_metadata())["x-request-id"]
        self.assertNotEqual(request_id, "has a space")
        line = self.line("the call line", event="call", request_id=request_id)
        self.assertRegex(line["trace_id"], r"^[0-9a-f]{32}$")
        self.assertNotEqual(line["trace_id"], "0" * 32)

    def test_a_refused_call_is_logged_with_its_trace(self):
        with self.assertRaises(grpc.RpcError) as refused:
            self.users.GetUserInfo(
                user_pb2.GetUserInfoRequest(openid=OPENID), timeout=TIMEOUT,
                metadata=[("x-wx-appid", "wx9999999999999999"), ("x-request-id", "e2e-refused"),
                          ("traceparent", traceparent("1" * 32))])
        self.assertEqual(refused.exception.code(), grpc.StatusCode.NOT_FOUND)
        line = self.line("the failed call's line", event="call", request_id="e2e-refused")
        self.assertEqual((line["level"], line["code"], line["trace_id"]),
                         ("INFO", "NOT_FOUND", "1" * 32))

    def test_a_push_is_followed_from_wechats_post_to_the_subscribers_reply(self):
        replier = Subscription(self.channel, replies=True)
        self.addCleanup(replier.close)
        events = {}  # content -> the event, as the subscriber got it
        replies = event_pb2_grpc.EventServiceStub(self.channel)

        def answer_all():
            while True:
                try:
                    event = replier.next(timeout=TIMEOUT)
                except Exception:  # queue.Empty: the test is over
                    return
                events[event.text.content] = event
                reply = replies_pb2.Reply(text=replies_pb2.TextReply(content="thanks"))
                # No traceparent of its own: the Reply's line starts a trace and names
                # the push's.
                replies.Reply(event_pb2.ReplyRequest(event_id=event.id, reply=reply),
                              timeout=TIMEOUT, metadata=[("x-request-id", f"reply-{event.id}")])

        threading.Thread(target=answer_all, daemon=True).start()
        # Pushes sent before the stream is live get "success"; push until one is replied.
        header = {"traceparent": traceparent(PUSH_TRACE)}
        deadline, attempt, body = time.monotonic() + TIMEOUT, 0, ""
        while "thanks" not in body and time.monotonic() < deadline:
            attempt += 1
            status, body = push(self.stack.callback_url,
                                text_push(f"{CONTENT}-{attempt}", 700000 + attempt),
                                headers=header)
            self.assertEqual(status, 200)
        self.assertIn("thanks", body)
        event = events[f"{CONTENT}-{attempt}"]
        self.assertRegex(event.traceparent, rf"^00-{PUSH_TRACE}-[0-9a-f]{{16}}-01$")

        pushed = self.line("the push line", event="push", event_id=event.id)
        self.assertEqual((pushed["level"], pushed["trace_id"], pushed["result"]),
                         ("DEBUG", PUSH_TRACE, "replied"))
        self.assertEqual((pushed["appid"], pushed["msg_type"]), (self.stack.appid, "text"))
        self.assertGreaterEqual(float(pushed["latency_ms"]), 0.0)
        replied = self.line("the Reply's call line", event="call", request_id=f"reply-{event.id}")
        self.assertEqual(replied["method"], "wxgate.v1.EventService/Reply")
        self.assertEqual(replied["push_trace_id"], PUSH_TRACE)
        self.assertNotEqual(replied["trace_id"], PUSH_TRACE)
        self.assertEqual(replied["code"], "OK")

    def test_a_refused_push_is_logged_with_its_trace(self):
        status, _ = push(self.stack.callback_url, text_push(CONTENT, 3), token="wrong",
                         headers={"traceparent": traceparent("2" * 32)})
        self.assertEqual(status, 403)
        refused = self.line("callback_refused", event="callback_refused", trace_id="2" * 32)
        self.assertEqual(refused["level"], "WARN")
        self.line("its push line", event="push", trace_id="2" * 32, result="refused")


class InfoJsonLogTest(unittest.TestCase):
    def test_info_shows_failed_calls_only(self):
        with stack.running(ARGS, extra="log:\n  format: json\n") as s:
            with grpc.insecure_channel(s.target) as channel:
                users = user_pb2_grpc.UserServiceStub(channel)
                request = user_pb2.GetUserInfoRequest(openid=OPENID)
                users.GetUserInfo(request, timeout=TIMEOUT, metadata=[("x-request-id", "ok-1")])
                with self.assertRaises(grpc.RpcError):
                    users.GetUserInfo(request, timeout=TIMEOUT,
                                      metadata=[("x-request-id", "failed-1"),
                                                ("x-wx-appid", "wx9999999999999999")])
            # Lines are written in order: once the failed call's is there, an OK
            # call's line would be too.
            wait_for_line(s.log, s.gateway, "the failed call's line", event="call",
                          request_id="failed-1")
            lines = json_lines(s.log)  # each one parses
            self.assertNotIn("ok-1", [line.get("request_id") for line in lines])
            self.assertNotIn("DEBUG", [line["level"] for line in lines])


def main():
    global ARGS, grpc, user_pb2, user_pb2_grpc, event_pb2, event_pb2_grpc, replies_pb2
    ARGS, argv = stack.parse_args(__doc__)
    import grpc
    from wechat.mp.v1 import replies_pb2, user_pb2, user_pb2_grpc
    from wxgate.v1 import event_pb2, event_pb2_grpc
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
