"""The admin listener's /metrics, scraped before and after a known sequence of calls
(one meeting a token WeChat revoked, refused ones, a rate-limited one), pushes (kept,
repeated, refused for each reason, replied to, declined, left to expire) and
subscriptions (one cancelled, one ended for falling behind): each counter moves by
exactly that much, and the page parses with the Prometheus project's own text-format
parser (prometheus_client). A third-party platform's token and its authorizer's are
labelled by component, appid and kind once the account authorized it.

    /usr/bin/python3 tests/e2e/metrics_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN
"""

import hashlib
import os
import shutil
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import component_flow  # noqa: E402
import stack  # noqa: E402
from wechat_push import TIMEOUT, Subscription, push, text_push  # noqa: E402

ARGS = None
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
GET_USER_INFO = "/wechat.mp.v1.UserService/GetUserInfo"
USER_INFO_PATH = "/cgi-bin/user/info"  # its WeChat endpoint
SHOP_KEY, NARROW_KEY = "metrics-shop-key", "metrics-narrow-key"


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


# shop may do anything; narrow may call GetUserInfo once (a burst of 1 that refills
# in about 17 minutes), and nothing else.
ACCESS = f"""callers:
    - name: shop
      api_key_sha256: ["{sha256(SHOP_KEY)}"]
      policy: {{appids: ["*"], methods: ["*"]}}
    - name: narrow
      api_key_sha256: ["{sha256(NARROW_KEY)}"]
      policy: {{appids: ["*"], methods: ["{GET_USER_INFO[1:]}"]}}
      rate_limit: {{per_second: 0.001, burst: 1}}"""


def key(value):
    return [("authorization", f"Bearer {value}")]


def scrape(port):
    """{(sample name, frozenset of labels): value} of the admin listener's page."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=TIMEOUT) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        page = answer.read().decode()
    samples = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return page, samples


class MetricsTest(unittest.TestCase):
    def test_counters_move_by_exactly_what_happened(self):
        admin_port = stack.free_port()
        with stack.running(ARGS, access=ACCESS,
                           server_extra=f'  admin_listen: "127.0.0.1:{admin_port}"\n') as s:
            _, before = scrape(admin_port)

            def delta(name, **labels):
                key = (name, frozenset(labels.items()))
                return after.get(key, 0) - before.get(key, 0)

            with grpc.insecure_channel(s.target) as channel:
                self.call(channel, s)
                self.push_and_reply(channel, s.callback_url, admin_port)
            page, after = scrape(admin_port)

        calls = "wxgate_grpc_calls_total"
        self.assertEqual(delta(calls, method=GET_USER_INFO, code="OK"), 5)
        self.assertEqual(delta(calls, method=GET_USER_INFO, code="NOT_FOUND"), 1)
        self.assertEqual(delta(calls, method=GET_USER_INFO, code="UNAUTHENTICATED"), 1)
        self.assertEqual(delta(calls, method=GET_USER_INFO, code="RESOURCE_EXHAUSTED"), 1)
        self.assertEqual(delta(calls, method="/wechat.mp.v1.UserService/ListFollowers",
                               code="PERMISSION_DENIED"), 1)
        self.assertEqual(delta(calls, method="unknown", code="UNIMPLEMENTED"), 1)
        self.assertEqual(delta("wxgate_grpc_call_seconds_count", method=GET_USER_INFO), 8)
        self.assertEqual(delta("wxgate_grpc_call_seconds_bucket", method=GET_USER_INFO,
                               le="+Inf"), 8)
        self.assertGreater(delta("wxgate_grpc_call_seconds_sum", method=GET_USER_INFO), 0)
        refusals = "wxgate_caller_refusals_total"
        self.assertEqual(delta(refusals, caller="unknown", reason="unauthenticated"), 1)
        self.assertEqual(delta(refusals, caller="narrow", reason="not_allowed"), 1)
        self.assertEqual(delta(refusals, caller="narrow", reason="rate_limited"), 1)
        upstream = "wxgate_upstream_calls_total"
        self.assertEqual(delta(upstream, endpoint=USER_INFO_PATH, errcode="0"), 5)
        self.assertEqual(delta(upstream, endpoint=USER_INFO_PATH, errcode="40001"), 1)
        self.assertEqual(delta("wxgate_upstream_call_seconds_count", endpoint=USER_INFO_PATH), 6)

        pushes = "wxgate_pushes_total"
        text = {"appid": s.appid, "kind": "text"}
        self.assertEqual(delta(pushes, **text, result="accepted"), 5)
        self.assertEqual(delta(pushes, **text, result="duplicate"), 1)
        refused = {"appid": s.appid, "kind": "undecoded", "result": "refused"}
        for reason in ("signature", "stale", "malformed"):
            self.assertEqual(delta(pushes, **refused, reason=reason), 1, reason)
        replies = "wxgate_push_replies_total"
        for outcome, count in (("no_replier", 2), ("replied", 1), ("declined", 1),
                               ("expired", 1)):
            self.assertEqual(delta(replies, appid=s.appid, outcome=outcome), count, outcome)
        self.assertEqual(delta("wxgate_push_reply_wait_seconds_count", appid=s.appid), 5)
        # The expired push waited the account's whole reply_window (4s).
        self.assertGreaterEqual(delta("wxgate_push_reply_wait_seconds_sum", appid=s.appid), 4)
        self.assertEqual(delta("wxgate_subscriptions_ended_total", reason="cancelled"), 1)

        token = {"appid": s.appid, "kind": "access_token"}
        self.assertEqual(after[("wxgate_token_fetches_total", frozenset(token.items()))], 2)
        self.assertGreater(after[("wxgate_token_expiry_seconds", frozenset(token.items()))], 7000)
        self.assertEqual(after[("wxgate_force_refresh_left", frozenset({"appid": s.appid}.items()))],
                         20)
        self.assertEqual(after[("wxgate_subscribers", frozenset())], 0)
        self.assertEqual(after[("wxgate_build_info", frozenset({"version": ARGS.version}.items()))],
                         1)
        self.assertGreater(delta("process_cpu_seconds_total"), 0)
        self.assertGreater(after[("process_resident_memory_bytes", frozenset())], 1 << 20)
        self.assertGreater(after[("process_open_fds", frozenset())], 3)
        for secret in (stack.SECRET, stack.CALLBACK_TOKEN, OPENID, SHOP_KEY, NARROW_KEY,
                       sha256(SHOP_KEY), "metrics-push", "oE2eUser"):
            self.assertNotIn(secret, page)

    def call(self, channel, s):
        """5 calls answered (one after a revoked token), 4 refused, 1 to nothing served."""
        users = user_pb2_grpc.UserServiceStub(channel)
        request = user_pb2.GetUserInfoRequest(openid=OPENID)
        for _ in range(3):
            users.GetUserInfo(request, timeout=TIMEOUT, metadata=key(SHOP_KEY))
        # A token WeChat no longer knows: 40001, a refetch, the call again.
        stack.fake_request(ARGS, s.fake_port, "/fake/revoke", {"appid": s.appid})
        users.GetUserInfo(request, timeout=TIMEOUT, metadata=key(SHOP_KEY))
        users.GetUserInfo(request, timeout=TIMEOUT, metadata=key(NARROW_KEY))
        refusals = [
            lambda: users.GetUserInfo(request, timeout=TIMEOUT, metadata=key(NARROW_KEY)),
            lambda: users.GetUserInfo(request, timeout=TIMEOUT),
            lambda: users.GetUserInfo(request, timeout=TIMEOUT, metadata=key(SHOP_KEY) + [
                ("x-wx-appid", "wx9999999999999999")]),
            lambda: users.ListFollowers(user_pb2.ListFollowersRequest(), timeout=TIMEOUT,
                                        metadata=key(NARROW_KEY)),
            lambda: channel.unary_unary("/no.Such/Method")(b"", timeout=TIMEOUT),
        ]
        for refusal in refusals:
            with self.assertRaises(grpc.RpcError):
                refusal()

    def push_and_reply(self, channel, url, admin_port):
        """Pushes kept, repeated and refused, then three for a subscriber that replies to
        the first, declines the second and lets the third expire."""
        self.assertEqual(push(url, text_push("metrics-push-1", 1)), (200, "success"))
        self.assertEqual(push(url, text_push("metrics-push-2", 2)), (200, "success"))
        self.assertEqual(push(url, text_push("metrics-push-2", 2)), (200, "success"))
        self.assertEqual(push(url, text_push("metrics-push-3", 3), token="wrong")[0], 403)
        self.assertEqual(push(url, text_push("metrics-push-4", 4), skew=-365 * 24 * 3600)[0],
                         403)
        self.assertEqual(push(url, "<xml><MsgType>text</MsgType>")[0], 400)

        replier = Subscription(channel, metadata=key(SHOP_KEY), replies=True)
        self.addCleanup(replier.close)
        events = event_pb2_grpc.EventServiceStub(channel)

        def answer():
            for _ in range(3):
                event = replier.next()
                reply = None
                if event.text.content == "reply-me":
                    reply = replies_pb2.Reply(text=replies_pb2.TextReply(content="re: metrics"))
                elif event.text.content != "decline-me":
                    continue  # left to expire
                events.Reply(event_pb2.ReplyRequest(event_id=event.id, reply=reply),
                             timeout=TIMEOUT, metadata=key(SHOP_KEY))

        def subscribers():
            return scrape(admin_port)[1].get(("wxgate_subscribers", frozenset()))

        stack.wait_until(lambda: subscribers() == 1, TIMEOUT, "the replier subscribed")
        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        self.assertIn("re: metrics", push(url, text_push("reply-me", 10))[1])
        self.assertEqual(push(url, text_push("decline-me", 11)), (200, "success"))
        self.assertEqual(push(url, text_push("expire-me", 12)), (200, "success"))
        thread.join(TIMEOUT)
        replier.close()
        stack.wait_until(lambda: subscribers() == 0, TIMEOUT, "the replier gone")

    def test_a_subscriber_that_falls_behind_is_ended_and_counted(self):
        admin_port = stack.free_port()
        with stack.running(ARGS, server_extra=f'  admin_listen: "127.0.0.1:{admin_port}"\n',
                           extra="events:\n  max_lag: 5\n") as s:
            _, before = scrape(admin_port)
            # A flow-control window smaller than one event: the gateway's first write
            # waits until the stream is read, and the events after it pile up.
            small_window = [("grpc.http2.lookahead_bytes", 1024), ("grpc.http2.bdp_probe", 0)]
            with grpc.insecure_channel(s.target, options=small_window) as channel:
                stub = event_pb2_grpc.EventServiceStub(channel)
                stream = stub.Subscribe(event_pb2.SubscribeRequest())
                stack.wait_until(
                    lambda: scrape(admin_port)[1].get(("wxgate_subscribers", frozenset())) == 1,
                    TIMEOUT, "the subscriber subscribed")
                filler = "x" * 2000
                for msg_id in range(1, 11):
                    self.assertEqual(push(s.callback_url, text_push(filler, msg_id))[0], 200)
                # The first event is in flight; the nine after it wait.
                lag = ("wxgate_subscriber_lag_events", frozenset({"caller": "anonymous"}.items()))
                self.assertEqual(scrape(admin_port)[1].get(lag), 9)
                with self.assertRaises(grpc.RpcError) as ended:
                    for _ in stream:
                        pass
            _, after = scrape(admin_port)
        self.assertEqual(ended.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("events behind", ended.exception.details())
        key = ("wxgate_subscriptions_ended_total", frozenset({"reason": "too_slow"}.items()))
        self.assertEqual(after.get(key, 0) - before.get(key, 0), 1)

    def test_platform_and_authorizer_tokens_are_labelled_by_component_appid_and_kind(self):
        admin_port = stack.free_port()
        secrets_dir = tempfile.mkdtemp(prefix="wxgate-e2e-metrics-")
        self.addCleanup(shutil.rmtree, secrets_dir, ignore_errors=True)
        authorizer = component_flow.AUTHORIZER
        with stack.running(ARGS, server_extra=f'  admin_listen: "127.0.0.1:{admin_port}"\n',
                           extra=component_flow.config(secrets_dir),
                           fake_args=component_flow.FAKE_ARGS) as s:
            _, before = scrape(admin_port)
            base = component_flow.callback_base(s.callback_url)
            component_flow.push(ARGS, s.fake_port, base, component_flow.PUSH_TICKET)
            component_flow.push(ARGS, s.fake_port, base, component_flow.AUTHORIZE,
                                authorizer_appid=authorizer, func_info=[1, 2])
            # WeChat forgets the authorizer's token: one fetch (api_authorizer_token).
            stack.fake_request(ARGS, s.fake_port, "/fake/revoke", {"appid": authorizer})
            with grpc.insecure_channel(s.target) as channel:
                user_pb2_grpc.UserServiceStub(channel).GetUserInfo(
                    user_pb2.GetUserInfoRequest(openid=OPENID), timeout=TIMEOUT,
                    metadata=(("x-wx-appid", authorizer),))
            page, after = scrape(admin_port)
            issued = component_flow.issued(ARGS, s.fake_port)

        def value(samples, name, **labels):
            return samples.get((name, frozenset(labels.items())))
        platform = {"appid": component_flow.COMPONENT, "kind": "component_access_token"}
        self.assertEqual(value(before, "wxgate_token_fetches_total", **platform), 0)
        self.assertEqual(value(after, "wxgate_token_fetches_total", **platform), 1)
        self.assertEqual(value(after, "wxgate_token_fetch_failures_total", **platform), 0)
        self.assertGreater(value(after, "wxgate_token_expiry_seconds", **platform), 7000)
        ticket = {"appid": component_flow.COMPONENT, "kind": "component_verify_ticket"}
        self.assertEqual(value(before, "wxgate_token_expiry_seconds", **ticket), -1)
        self.assertGreater(value(after, "wxgate_token_expiry_seconds", **ticket), 11 * 3600)
        self.assertEqual(value(before, "wxgate_authorizers", component=component_flow.COMPONENT),
                         0)
        self.assertEqual(value(after, "wxgate_authorizers", component=component_flow.COMPONENT),
                         1)
        token = {"component": component_flow.COMPONENT, "appid": authorizer,
                 "kind": "access_token"}
        self.assertEqual(value(after, "wxgate_token_fetches_total", **token), 1)
        self.assertEqual(value(after, "wxgate_token_fetch_failures_total", **token), 0)
        self.assertGreater(value(after, "wxgate_token_expiry_seconds", **token), 7000)
        # No ticket of the authorizer's was asked for; no series past the first 100.
        self.assertIsNone(value(after, "wxgate_token_fetches_total",
                                **dict(token, kind="jsapi_ticket")))
        self.assertIsNone(value(after, "wxgate_token_fetches_total",
                                **dict(token, appid="other")))
        for values in issued.values():
            for secret in values:
                self.assertNotIn(secret, page)
        for secret in (component_flow.COMPONENT_SECRET, component_flow.COMPONENT_TOKEN,
                       component_flow.COMPONENT_KEY):
            self.assertNotIn(secret, page)

    def test_unknown_paths_and_channelz_are_not_served(self):
        admin_port = stack.free_port()
        with stack.running(ARGS, server_extra=f'  admin_listen: "127.0.0.1:{admin_port}"\n') as s:
            with self.assertRaises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/", timeout=TIMEOUT)
            self.assertEqual(missing.exception.code, 404)
            # Channelz is off unless server.channelz says otherwise.
            with grpc.insecure_channel(s.target) as channel:
                with self.assertRaises(grpc.RpcError) as channelz:
                    channel.unary_unary("/grpc.channelz.v1.Channelz/GetServers")(
                        b"", timeout=TIMEOUT)
            self.assertEqual(channelz.exception.code(), grpc.StatusCode.UNIMPLEMENTED)


def main():
    global ARGS, grpc, text_string_to_metric_families
    global user_pb2, user_pb2_grpc, replies_pb2, event_pb2, event_pb2_grpc
    ARGS, argv = stack.parse_args(__doc__, required=["--version"])
    import grpc
    from prometheus_client.parser import text_string_to_metric_families
    from wechat.mp.v1 import replies_pb2, user_pb2, user_pb2_grpc
    from wxgate.v1 import event_pb2, event_pb2_grpc
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
