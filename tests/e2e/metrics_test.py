"""The admin listener's /metrics, scraped before and after a known sequence of calls
(one meeting a token WeChat revoked) and pushes: each counter moves by exactly that
much, and the page parses with the Prometheus project's own text-format parser
(prometheus_client).

    /usr/bin/python3 tests/e2e/metrics_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN
"""

import os
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402
from wechat_push import TIMEOUT, push, text_push  # noqa: E402

ARGS = None
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
GET_USER_INFO = "/wechat.mp.v1.UserService/GetUserInfo"
USER_INFO_PATH = "/cgi-bin/user/info"  # its WeChat endpoint


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
        with stack.running(ARGS, server_extra=f'  admin_listen: "127.0.0.1:{admin_port}"\n') as s:
            _, before = scrape(admin_port)

            def delta(name, **labels):
                key = (name, frozenset(labels.items()))
                return after.get(key, 0) - before.get(key, 0)

            with grpc.insecure_channel(s.target) as channel:
                users = user_pb2_grpc.UserServiceStub(channel)
                request = user_pb2.GetUserInfoRequest(openid=OPENID)
                for _ in range(3):
                    users.GetUserInfo(request, timeout=TIMEOUT)
                # A token WeChat no longer knows: 40001, a refetch, the call again.
                stack.fake_request(ARGS, s.fake_port, "/fake/revoke", {"appid": s.appid})
                users.GetUserInfo(request, timeout=TIMEOUT)
                with self.assertRaises(grpc.RpcError) as refused:
                    users.GetUserInfo(request, timeout=TIMEOUT,
                                      metadata=[("x-wx-appid", "wx9999999999999999")])
                with self.assertRaises(grpc.RpcError):  # a method nobody serves
                    channel.unary_unary("/no.Such/Method")(b"", timeout=TIMEOUT)
            self.assertEqual(push(s.callback_url, text_push("metrics-push-1", 1)), (200, "success"))
            self.assertEqual(push(s.callback_url, text_push("metrics-push-2", 2)), (200, "success"))
            self.assertEqual(push(s.callback_url, text_push("metrics-push-2", 2)), (200, "success"))
            self.assertEqual(push(s.callback_url, text_push("metrics-push-3", 3), token="wrong")[0], 403)

            page, after = scrape(admin_port)

        calls = "wxgate_grpc_calls_total"
        self.assertEqual(delta(calls, method=GET_USER_INFO, code="OK"), 4)
        self.assertEqual(delta(calls, method=GET_USER_INFO, code=refused.exception.code().name),
                         1)
        self.assertEqual(delta(calls, method="unknown", code="UNIMPLEMENTED"), 1)
        self.assertEqual(delta("wxgate_grpc_call_seconds_count", method=GET_USER_INFO), 5)
        self.assertEqual(delta("wxgate_grpc_call_seconds_bucket", method=GET_USER_INFO,
                               le="+Inf"), 5)
        upstream = "wxgate_upstream_calls_total"
        self.assertEqual(delta(upstream, endpoint=USER_INFO_PATH, errcode="0"), 4)
        self.assertEqual(delta(upstream, endpoint=USER_INFO_PATH, errcode="40001"), 1)
        self.assertEqual(delta("wxgate_upstream_call_seconds_count", endpoint=USER_INFO_PATH), 5)
        self.assertGreater(delta("wxgate_grpc_call_seconds_sum", method=GET_USER_INFO), 0)
        pushes = "wxgate_pushes_total"
        self.assertEqual(delta(pushes, appid=s.appid, result="accepted"), 2)
        self.assertEqual(delta(pushes, appid=s.appid, result="duplicate"), 1)
        self.assertEqual(delta(pushes, appid=s.appid, result="refused"), 1)
        token = {"appid": s.appid, "kind": "access_token"}
        self.assertEqual(after[("wxgate_token_fetches_total", frozenset(token.items()))], 2)
        self.assertGreater(after[("wxgate_token_expiry_seconds", frozenset(token.items()))], 7000)
        self.assertEqual(after[("wxgate_force_refresh_left", frozenset({"appid": s.appid}.items()))],
                         20)
        self.assertEqual(after[("wxgate_subscribers", frozenset())], 0)
        self.assertEqual(after[("wxgate_build_info", frozenset({"version": ARGS.version}.items()))],
                         1)
        for secret in (stack.SECRET, stack.CALLBACK_TOKEN, OPENID, "metrics-push"):
            self.assertNotIn(secret, page)

    def test_only_metrics_are_served(self):
        admin_port = stack.free_port()
        with stack.running(ARGS, server_extra=f'  admin_listen: "127.0.0.1:{admin_port}"\n'):
            with self.assertRaises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/", timeout=TIMEOUT)
            self.assertEqual(missing.exception.code, 404)


def main():
    global ARGS, grpc, user_pb2, user_pb2_grpc, text_string_to_metric_families
    ARGS, argv = stack.parse_args(__doc__, required=["--version"])
    import grpc
    from prometheus_client.parser import text_string_to_metric_families
    from wechat.mp.v1 import user_pb2, user_pb2_grpc
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
