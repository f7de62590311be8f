"""The installed Python package (wxgate-client) against a live gateway and the fake
WeChat. tests/e2e/client_test.py starts them and sets WXGATE_E2E_*; without those the
tests are skipped. tests/e2e/python_package_test.sh runs it once on Debian's grpcio
and once on PyPI's.
"""

import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

import wxgate_client
from wechat.mp.v1 import material_pb2, material_pb2_grpc, tag_pb2, tag_pb2_grpc
from wechat.mp.v1 import user_pb2, user_pb2_grpc
from wxgate.v1 import event_pb2

TARGET = os.environ.get("WXGATE_E2E_TARGET")
APPID = os.environ.get("WXGATE_E2E_APPID")
OPENID = os.environ.get("WXGATE_E2E_OPENID", "")
OTHER_APPID = "wx2222222222222222"  # well formed, not configured
TIMEOUT = 60.0


def push(content, msg_id):
    """Pushes a text message through the fake's push tool; returns the HTTP answer."""
    run = subprocess.run([os.environ["WXGATE_E2E_PUSH_TEXT"], content, str(msg_id)],
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0 and "HTTP 200" in run.stdout, run.stdout + run.stderr
    return run.stdout


class _Cut(grpc.RpcError):
    def code(self):
        return grpc.StatusCode.UNAVAILABLE

    def details(self):
        return "cut by the test"

    def trailing_metadata(self):
        return ()


class _CuttableStream:
    """A Subscribe call that the test can cut as a network failure would."""

    def __init__(self, call):
        self._call, self._cut = call, False

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._call)
        except grpc.RpcError:
            if self._cut:
                raise _Cut() from None
            raise

    def cancel(self):
        return self._call.cancel()

    def cut(self):
        self._cut = True
        self._call.cancel()


class Cutter(grpc.UnaryStreamClientInterceptor):
    def __init__(self):
        self.live = None

    def intercept_unary_stream(self, continuation, details, request):
        call = continuation(details, request)
        if details.method != "/wxgate.v1.EventService/Subscribe":
            return call
        self.live = _CuttableStream(call)
        return self.live


@unittest.skipUnless(TARGET, "no live gateway: run through tests/e2e/client_test.py")
class PackageTest(unittest.TestCase):
    def setUp(self):
        self.client = wxgate_client.connect(TARGET, appid=APPID)
        self.addCleanup(self.client.close)

    def test_get_user_info_returns_the_fakes_follower(self):
        users = self.client.stub(user_pb2_grpc.UserServiceStub)
        user = users.GetUserInfo(user_pb2.GetUserInfoRequest(openid=OPENID), timeout=TIMEOUT)
        self.assertEqual((user.openid, user.city, list(user.tagid_list)), (OPENID, "广州", [128, 2]))

    def test_a_wechat_error_decodes_to_errcode(self):
        tags = self.client.stub(tag_pb2_grpc.TagServiceStub)
        with self.assertRaises(wxgate_client.WxgateError) as raised:
            wxgate_client.call(tags.CreateTag, tag_pb2.CreateTagRequest(), timeout=TIMEOUT)
        e = raised.exception
        self.assertEqual((e.code, e.reason, e.errcode), (grpc.StatusCode.INVALID_ARGUMENT, "WECHAT_47001", 47001))
        self.assertTrue(e.is_wechat)
        self.assertIn("data format error", e.errmsg)
        created = tags.CreateTag(tag_pb2.CreateTagRequest(tag=tag_pb2.Tag(name="广东")), timeout=TIMEOUT)
        self.assertGreater(created.tag.id, 0)

    def test_the_gateways_reason_for_an_unknown_account(self):
        users = self.client.stub(user_pb2_grpc.UserServiceStub)
        with self.assertRaises(wxgate_client.WxgateError) as raised:
            wxgate_client.call(users.GetUserInfo, user_pb2.GetUserInfoRequest(openid=OPENID),
                               metadata=wxgate_client.account(OTHER_APPID), timeout=TIMEOUT)
        e = raised.exception
        self.assertEqual((e.code, e.reason, e.metadata["appid"]), (grpc.StatusCode.NOT_FOUND, "UNKNOWN_APPID", OTHER_APPID))
        self.assertFalse(e.is_wechat)

    def test_the_api_key_goes_out_with_every_call(self):
        # Anonymous callers are let in; a key no caller has is refused, never ignored.
        with wxgate_client.connect(TARGET, appid=APPID, api_key="not-a-configured-key") as keyed:
            users = keyed.stub(user_pb2_grpc.UserServiceStub)
            with self.assertRaises(wxgate_client.WxgateError) as raised:
                wxgate_client.call(users.GetUserInfo, user_pb2.GetUserInfoRequest(openid=OPENID), timeout=TIMEOUT)
        self.assertEqual(raised.exception.reason, "CALLER_UNAUTHENTICATED")

    @unittest.skipUnless(os.environ.get("WXGATE_E2E_MTLS_TARGET"),
                         "no mTLS gateway: run through tests/e2e/client_test.py")
    def test_mtls_the_caller_is_known_by_its_certificate(self):
        # The second gateway requires a client certificate and lets in only spiffe://test/shop.
        target, ca = os.environ["WXGATE_E2E_MTLS_TARGET"], os.environ["WXGATE_E2E_CA_FILE"]
        request = user_pb2.GetUserInfoRequest(openid=OPENID)
        credentials = wxgate_client.mtls_credentials(ca, os.environ["WXGATE_E2E_CLIENT_CERT"],
                                                     os.environ["WXGATE_E2E_CLIENT_KEY"])
        with wxgate_client.connect(target, appid=APPID, credentials=credentials) as mtls:
            user = mtls.stub(user_pb2_grpc.UserServiceStub).GetUserInfo(request, timeout=TIMEOUT)
        self.assertEqual((user.openid, user.city), (OPENID, "广州"))

        # TLS alone, trusting the same CA: the handshake fails, so the call never
        # reaches the gateway's admission (which would say why, in an ErrorInfo).
        tls_only = wxgate_client.mtls_credentials(ca)
        with wxgate_client.connect(target, appid=APPID, credentials=tls_only) as client:
            users = client.stub(user_pb2_grpc.UserServiceStub)
            with self.assertRaises(grpc.RpcError) as raised:
                wxgate_client.call(users.GetUserInfo, request, timeout=TIMEOUT)
        e = raised.exception
        self.assertNotIsInstance(e, wxgate_client.WxgateError)
        self.assertEqual(e.code(), grpc.StatusCode.UNAVAILABLE, e.details())
        print(f"without a client certificate: {e.code()} {e.details()}", file=sys.stderr)

    def test_an_upload_in_pieces_and_a_download(self):
        material = self.client.stub(material_pb2_grpc.MaterialServiceStub)
        image = b"\xd8" * (3 * wxgate_client.PIECE_SIZE + 1000)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "photo.jpg")
            with open(path, "wb") as f:
                f.write(image)
            with open(path, "rb") as stream:
                uploaded = wxgate_client.upload_media(material, material_pb2.MATERIAL_MEDIA_TYPE_IMAGE,
                                                      stream, "photo.jpg", timeout=TIMEOUT)
                self.assertEqual(stream.tell(), len(image))
            self.assertTrue(uploaded.media_id)
            self.assertTrue(wxgate_client.upload_media(
                material, material_pb2.MATERIAL_MEDIA_TYPE_IMAGE, path, timeout=TIMEOUT).media_id)
            out = os.path.join(tmp, "download")
            meta = wxgate_client.download(material.GetMedia(
                material_pb2.GetMediaRequest(media_id=uploaded.media_id), timeout=TIMEOUT), out)
            with open(out, "rb") as f:
                written = f.read()
        self.assertEqual(meta.content_type, "image/jpeg")
        self.assertTrue(written)
        self.assertEqual(len(written), meta.size)

    def test_a_subscriber_replies_is_cut_and_resumes_without_loss_or_repeat(self):
        cutter = Cutter()
        client = wxgate_client.connect(TARGET, appid=APPID, interceptors=[cutter])
        self.addCleanup(client.close)
        handled, retries = queue.Queue(), []
        store = wxgate_client.MemoryCursorStore()
        request = event_pb2.SubscribeRequest(filter=event_pb2.EventFilter(msg_types=["text"]), replies=True)

        def handler(event):
            handled.put((event.text.content, event.cursor))
            return wxgate_client.text_reply(f"re: {event.text.content}")

        def start():
            subscriber = wxgate_client.Subscriber(client, request, store=store,
                                                  on_retry=lambda e, wait: retries.append(e))
            thread = threading.Thread(target=subscriber.run, args=(handler,), daemon=True)
            thread.start()
            return subscriber, thread

        def next_event():
            return handled.get(timeout=TIMEOUT)

        subscriber, thread = start()
        pushed, msg_id, deadline = [], 5000, time.monotonic() + TIMEOUT
        while True:  # live only: push until one is delivered and replied to
            msg_id += 1
            content = f"hello {msg_id}"
            if f"<Content><![CDATA[re: {content}]]></Content>" in push(content, msg_id):
                pushed.append(content)
                break
            self.assertLess(time.monotonic(), deadline, "no reply in the HTTP answer")
            time.sleep(0.05)
        got = [next_event()]
        while got[0][0] != pushed[0] and got[0][0].startswith("hello "):
            got[0] = next_event()

        cutter.live.cut()
        for content in ("during the cut 1", "during the cut 2", "after the cut"):
            msg_id += 1
            push(content, msg_id)
            pushed.append(content)
        while len(got) < len(pushed):
            got.append(next_event())
        self.assertTrue(retries, "the subscriber never resumed: was the stream cut?")

        subscriber.stop()  # a new subscriber on the same store starts after the last cursor
        thread.join(TIMEOUT)
        self.assertFalse(thread.is_alive())
        msg_id += 1
        push("while stopped", msg_id)
        pushed.append("while stopped")
        second, second_thread = start()
        got.append(next_event())
        second.stop()
        second_thread.join(TIMEOUT)

        self.assertEqual([content for content, _ in got], pushed)
        cursors = [cursor for _, cursor in got]
        self.assertEqual(cursors, sorted(set(cursors)))
        with self.assertRaises(queue.Empty, msg="an event delivered twice or unexpected"):
            handled.get(timeout=1)

    def test_a_batched_subscription_is_handled_one_event_at_a_time(self):
        from wxgate.v1 import event_pb2_grpc
        events_stub = self.client.stub(event_pb2_grpc.EventServiceStub)
        # Stored before anyone subscribes: the replay below is behind, so batched.
        # Message ids and contents of this run only: the package runs twice against
        # one gateway, which drops a repeated MsgId as WeChat's retry.
        base = time.time_ns() // 1000
        contents = [f"batched {base} {i}" for i in range(5)]
        for i, content in enumerate(contents):
            push(content, base + i)
        request = event_pb2.SubscribeRequest(filter=event_pb2.EventFilter(msg_types=["text"]),
                                             after_cursor=0)
        call = events_stub.SubscribeBatched(
            event_pb2.SubscribeBatchedRequest(subscription=request, max_batch=2), timeout=TIMEOUT)
        sizes = []

        def recorded(batches):
            for batch in batches:
                sizes.append(len(batch.events))
                yield batch

        got = []
        try:
            for response in wxgate_client.single_events(recorded(call)):
                if response.event.text.content in contents:
                    got.append(response.event)
                if len(got) == len(contents):
                    break
        finally:
            call.cancel()
        self.assertEqual([event.text.content for event in got], contents)
        cursors = [event.cursor for event in got]
        self.assertEqual(cursors, sorted(set(cursors)))
        self.assertEqual(max(sizes), 2, "no message carried two events")

        # The Subscriber on SubscribeBatched: one event per handler call, each cursor
        # saved, resumed after the stored one.
        store = wxgate_client.MemoryCursorStore()
        store.save(cursors[1])
        subscriber = wxgate_client.Subscriber(self.client, request, store=store, max_batch=3)
        handled = queue.Queue()
        thread = threading.Thread(target=subscriber.run,
                                  args=(lambda event: handled.put((event.text.content, store.cursor)),),
                                  daemon=True)
        thread.start()
        seen = [handled.get(timeout=TIMEOUT) for _ in contents[2:]]
        subscriber.stop()
        thread.join(TIMEOUT)
        self.assertFalse(thread.is_alive())
        self.assertEqual([content for content, _ in seen], contents[2:])
        # Each handler call saw the cursor of the event before it saved.
        self.assertEqual([cursor for _, cursor in seen], cursors[1:4])
        self.assertEqual(store.load(), cursors[4])

    def test_the_example_calls_and_replies(self):
        example = subprocess.Popen(
            [sys.executable, os.path.join(os.path.dirname(__file__), "..", "example.py"),
             "--target", TARGET, "--appid", APPID, "--openid", OPENID, "--subscribe"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            msg_id, deadline, replied = 7000, time.monotonic() + TIMEOUT, False
            while not replied and time.monotonic() < deadline:
                msg_id += 1
                replied = "you said: hi example" in push("hi example", msg_id)
                time.sleep(0 if replied else 0.05)
        finally:
            example.terminate()
        out, err = example.communicate(timeout=TIMEOUT)
        self.assertTrue(replied, err)
        self.assertEqual(example.returncode, 0, err)
        self.assertIn('"city": "广州"', out)
        for want in ("tag created: 134", "errcode 47001", 'oE2eUser says "hi example"'):
            self.assertIn(want, err)


if __name__ == "__main__":
    unittest.main()
