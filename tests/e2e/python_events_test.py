"""End to end for callbacks: WeChat-style signed pushes over HTTP → wxgate (a process)
→ Python gRPC subscribers of wxgate.v1.EventService, and a passive reply back.

    /usr/bin/python3 tests/e2e/python_events_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN

The pushes are signed here as WeChat signs them (wechat_push.py), in plain mode.
"""

import argparse
import os
import queue
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402
from wechat_push import TIMEOUT, Subscription, push, text_push  # noqa: E402

ARGS = None


class PythonEventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = stack.running(ARGS)
        running = cls._stack.__enter__()
        cls.target, cls.appid, cls.callback_url, cls.log = (
            running.target, running.appid, running.callback_url, running.log)
        cls.channel = grpc.insecure_channel(cls.target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls._stack.__exit__(None, None, None)

    def subscribe(self, **request):
        subscription = Subscription(self.channel, **request)
        self.addCleanup(subscription.close)
        return subscription

    def wait_until_subscribed(self, *subscriptions):
        """Pushes markers until each subscription received one; returns nothing."""
        for attempt in range(int(TIMEOUT * 10)):
            status, _ = push(self.callback_url, text_push("marker", 900000 + attempt))
            self.assertEqual(status, 200)
            try:
                for subscription in subscriptions:
                    subscription.events.get(timeout=0.1)
                return
            except queue.Empty:
                continue
        self.fail("subscriptions never went live")

    def test_broadcast_and_group_each_get_a_push(self):
        everything = self.subscribe()
        worker = self.subscribe(group="e2e-workers")
        self.wait_until_subscribed(everything, worker)
        status, body = push(self.callback_url, text_push("hello from WeChat", 1))
        self.assertEqual((status, body), (200, "success"))
        for subscription in (everything, worker):
            event = subscription.next()
            while event.text.content == "marker":
                event = subscription.next()
            self.assertEqual(event.appid, self.appid)
            self.assertEqual(event.text.content, "hello from WeChat")
            self.assertEqual(event.text.msg_id, 1)
            self.assertGreater(event.cursor, 0)

    def test_a_reply_travels_back_in_the_http_answer(self):
        replier = self.subscribe(replies=True, filter=event_pb2.EventFilter(msg_types=["text"]))

        def answer_all():
            while True:
                try:
                    event = replier.next()
                except queue.Empty:
                    return
                reply = replies_pb2.Reply(text=replies_pb2.TextReply(
                    content=f"re: {event.text.content}"))
                stub = event_pb2_grpc.EventServiceStub(self.channel)
                stub.Reply(event_pb2.ReplyRequest(event_id=event.id, reply=reply), timeout=TIMEOUT)
                if event.text.content == "ping":
                    return

        thread = threading.Thread(target=answer_all, daemon=True)
        thread.start()
        # Pushes sent before the stream is live get "success"; poll until one is replied.
        status, body = 0, ""
        deadline = time.monotonic() + TIMEOUT
        attempt = 0
        while "re: ping" not in body and time.monotonic() < deadline:
            attempt += 1
            status, body = push(self.callback_url, text_push("ping", 800000 + attempt))
            time.sleep(0.05)
        thread.join(TIMEOUT)
        self.assertEqual(status, 200)
        self.assertIn("<Content><![CDATA[re: ping]]></Content>", body)
        self.assertIn("<ToUserName><![CDATA[oE2eUser]]></ToUserName>", body)

    def test_a_forged_push_is_refused(self):
        status, _ = push(self.callback_url, text_push("forged", 2), token="wrong")
        self.assertEqual(status, 403)

    def test_stale_and_future_pushes_are_refused_and_logged(self):
        status, body = push(self.callback_url, text_push("captured last year", 3),
                            skew=-365 * 24 * 3600)
        self.assertEqual(status, 403)
        self.assertIn("stale push", body)
        status, body = push(self.callback_url, text_push("from the future", 4), skew=3600)
        self.assertEqual(status, 403)
        self.assertIn("push from the future", body)
        # A few seconds of skew either way is nothing.
        self.assertEqual(push(self.callback_url, text_push("a bit behind", 5), skew=-5)[0], 200)
        self.assertEqual(push(self.callback_url, text_push("a bit ahead", 6), skew=5)[0], 200)
        stack.wait_until(lambda: "push from the future" in stack._read(self.log), TIMEOUT,
                         "the refusals in the gateway's log")
        log = stack._read(self.log)
        self.assertRegex(log, r"callback_refused .*reason=\"stale push")
        self.assertRegex(log, r"callback_refused .*reason=\"push from the future")


def main():
    global ARGS, grpc, event_pb2, event_pb2_grpc, replies_pb2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack.add_arguments(parser)
    parser.add_argument("--stubs-dir", required=True, help="the generated Python modules")
    ARGS, rest = parser.parse_known_args()
    sys.path[:0] = [ARGS.stubs_dir]
    import grpc
    from wxgate.v1 import event_pb2, event_pb2_grpc
    from wechat.mp.v1 import replies_pb2
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
