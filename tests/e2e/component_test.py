"""The third-party platform's credentials end to end: a gateway with a component and
no ticket asks the fake WeChat for one (api_start_push_ticket); a RawService/Call
with CREDENTIAL_COMPONENT_ACCESS_TOKEN fails with FAILED_PRECONDITION
COMPONENT_TICKET_MISSING until the fake pushes an encrypted component_verify_ticket
to /wechat/component/<component_appid>; then it succeeds; a component token the fake
revoked costs one refetch and no caller error; and a gateway restarted on the same
state file serves the call without a new ticket. A subscriber of the component's
pushes sees the ticket arrive as a ComponentEvent, without the ticket.

An authorizer end to end: the ticket arrives, an account authorizes the platform
(the fake pushes `authorized`; the gateway exchanges the code), a Python client
calls GetUserInfo on its behalf, the fake revokes the authorizer's token (one
refresh through api_authorizer_token, no caller error), the gateway restarts on the
same state file (no new authorization needed), the account unauthorizes, and the
next call gets FAILED_PRECONDITION AUTHORIZER_REVOKED. A method whose permission
set the account did not grant is refused before WeChat.

    /usr/bin/python3 tests/e2e/component_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN
"""

import json
import os
import shutil
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import component_flow  # noqa: E402
import stack  # noqa: E402
import wechat_push  # noqa: E402
from component_flow import (AUTHORIZER, COMPONENT, COMPONENT_KEY,  # noqa: E402
                            COMPONENT_SECRET, COMPONENT_TOKEN)

ARGS = None
START_PUSH = "/cgi-bin/component/api_start_push_ticket"
COMPONENT_TOKEN_PATH = "/cgi-bin/component/api_component_token"
QUERY_AUTH = "/cgi-bin/component/api_query_auth"
AUTHORIZER_TOKEN_PATH = "/cgi-bin/component/api_authorizer_token"
TIMEOUT = 30


def error_reason(error):
    """The google.rpc.ErrorInfo reason in a gRPC error's details, or None."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason
    return None


class ComponentTest(unittest.TestCase):
    def setUp(self):
        assert len(COMPONENT_KEY) == 43
        self.workdir = tempfile.mkdtemp(prefix="wxgate-e2e-component-")
        self.processes = []
        self.logs = []
        self.failed = True

    def tearDown(self):
        codes = [stack._stop(p) for p in reversed(self.processes)]
        try:
            stack.report(self.logs, self.failed, codes)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_gateway(self, fake_port, name):
        extra = f"""tokens:
  state_file: "{os.path.join(self.workdir, 'tokens.json')}"
""" + component_flow.config(os.path.join(self.workdir, "secrets"))
        self.admin_port = stack.free_port()
        config, ports = stack.write_gateway_config(
            ARGS, self.workdir, name, fake_port, extra=extra,
            server_extra=f'  admin_listen: "127.0.0.1:{self.admin_port}"\n')
        log = os.path.join(self.workdir, f"{name}.log")
        self.logs.append((name, log))
        gateway = stack.start_gateway(ARGS, config, ports, log)
        self.processes.append(gateway.process)
        return gateway, ports[1], log

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/metrics",
                                    timeout=TIMEOUT) as answer:
            return answer.read().decode()

    def sample(self, page, name, **labels):
        """The value of the sample `name` whose labels include `labels`, or None."""
        for line in page.splitlines():
            if not line.startswith((name + "{", name + " ")):
                continue
            head, _, value = line.rpartition(" ")
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                return float(value)
        return None

    def calls(self, fake_port, path):
        return stack.fake_request(ARGS, fake_port, "/fake/stats")["calls"].get(path, 0)

    def call(self, channel):
        raw = raw_pb2_grpc.RawServiceStub(channel)
        request = raw_pb2.CallRequest(method="GET", path="/fake/echo",
                                      credential="CREDENTIAL_COMPONENT_ACCESS_TOKEN")
        return json.loads(raw.Call(request, timeout=TIMEOUT).json)

    def test_ticket_token_revocation_and_restart(self):
        fake, fake_port = stack.start_fake(ARGS, self.workdir,
                                           ("--account", f"{COMPONENT}:{COMPONENT_SECRET}"))
        self.processes.append(fake)
        self.logs.append(("fake_wechat", os.path.join(self.workdir, "fake_wechat.log")))

        gateway, callback_port, log = self.start_gateway(fake_port, "wxgate")
        # No ticket known: the gateway asked WeChat for one at start-up.
        stack.wait_until(lambda: self.calls(fake_port, START_PUSH) == 1, TIMEOUT,
                         "api_start_push_ticket called", gateway.process, log)
        with grpc.insecure_channel(gateway.target) as channel:
            with self.assertRaises(grpc.RpcError) as missing:
                self.call(channel)
            self.assertEqual(missing.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
            self.assertEqual(error_reason(missing.exception), "COMPONENT_TICKET_MISSING")
            self.assertEqual(self.calls(fake_port, COMPONENT_TOKEN_PATH), 0)

            subscription = wechat_push.Subscription(
                channel, filter={"component_appids": [COMPONENT]})
            self.addCleanup(subscription.close)
            stack.wait_until(lambda: self.sample(self.metrics(), "wxgate_subscribers") == 1,
                             TIMEOUT, "the subscriber is in", gateway.process, log)
            self.component_push(fake_port, callback_port, component_flow.PUSH_TICKET)

            arrived = subscription.next()
            self.assertEqual((arrived.component_appid, arrived.info_type),
                             (COMPONENT, "component_verify_ticket"))
            self.assertTrue(arrived.HasField("component_verify_ticket"))
            self.assertNotIn("ticket@@@", str(arrived))
            self.assertEqual(arrived.raw_xml, "")

            echoed = self.call(channel)
            self.assertEqual(echoed["component_appid"], COMPONENT)
            page = self.metrics()
            self.assertEqual(self.sample(page, "wxgate_pushes_total", appid=COMPONENT,
                                         kind="component_verify_ticket", result="accepted"), 1)
            self.assertGreater(self.sample(page, "wxgate_token_expiry_seconds", appid=COMPONENT,
                                           kind="component_verify_ticket"), 11 * 3600)
            self.assertGreater(self.sample(page, "wxgate_token_expiry_seconds", appid=COMPONENT,
                                           kind="component_access_token"), 7000)
            self.assertNotIn("ticket@@@", page)
            self.assertNotIn("access_token", echoed["query"])
            self.assertEqual(self.calls(fake_port, COMPONENT_TOKEN_PATH), 1)

            # WeChat forgets the token: one refetch, and the caller sees nothing of it.
            stack.fake_request(ARGS, fake_port, "/fake/revoke", {"appid": COMPONENT})
            self.assertEqual(self.call(channel)["component_appid"], COMPONENT)
            self.assertEqual(self.calls(fake_port, COMPONENT_TOKEN_PATH), 2)
            self.assertEqual(self.call(channel)["component_appid"], COMPONENT)
            self.assertEqual(self.calls(fake_port, COMPONENT_TOKEN_PATH), 2)

        # A restart on the same state file: the ticket is known, no new one is needed.
        self.assertEqual(stack._stop(gateway.process), 0)
        self.processes.remove(gateway.process)
        restarted, _, log = self.start_gateway(fake_port, "wxgate-restarted")
        with grpc.insecure_channel(restarted.target) as channel:
            self.assertEqual(self.call(channel)["component_appid"], COMPONENT)
            stack.fake_request(ARGS, fake_port, "/fake/revoke", {"appid": COMPONENT})
            self.assertEqual(self.call(channel)["component_appid"], COMPONENT)
        self.assertEqual(self.calls(fake_port, START_PUSH), 1, "no second ticket request")
        self.assertEqual(self.calls(fake_port, COMPONENT_TOKEN_PATH), 3,
                         "the restarted gateway refetched with the stored ticket")
        for path in (log, self.logs[1][1]):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for secret in (COMPONENT_SECRET, COMPONENT_TOKEN, COMPONENT_KEY, "ticket@@@"):
                self.assertNotIn(secret, text)
        self.failed = False

    def component_push(self, fake_port, callback_port, route, **body):
        component_flow.push(ARGS, fake_port, f"http://127.0.0.1:{callback_port}", route, **body)

    def user_info(self, channel):
        users = user_pb2_grpc.UserServiceStub(channel)
        return users.GetUserInfo(user_pb2.GetUserInfoRequest(openid="o-e2e"), timeout=TIMEOUT,
                                 metadata=(("x-wx-appid", AUTHORIZER),))

    def test_authorize_call_revoke_restart_unauthorize(self):
        # The fake's authorize route waits for the gateway's answer while the gateway
        # calls the fake back (api_query_auth): it needs threads to spare.
        fake, fake_port = stack.start_fake(ARGS, self.workdir, component_flow.FAKE_ARGS)
        self.processes.append(fake)
        self.logs.append(("fake_wechat", os.path.join(self.workdir, "fake_wechat.log")))
        gateway, callback_port, log = self.start_gateway(fake_port, "wxgate")
        with grpc.insecure_channel(gateway.target) as channel:
            with self.assertRaises(grpc.RpcError) as unknown:
                self.user_info(channel)
            self.assertEqual(unknown.exception.code(), grpc.StatusCode.NOT_FOUND)
            self.assertEqual(error_reason(unknown.exception), "UNKNOWN_APPID")

            self.component_push(fake_port, callback_port, component_flow.PUSH_TICKET)
            subscription = wechat_push.Subscription(
                channel, filter={"component_appids": [COMPONENT], "info_types": ["authorized",
                                                                                 "unauthorized"]})
            self.addCleanup(subscription.close)
            stack.wait_until(lambda: self.sample(self.metrics(), "wxgate_subscribers") == 1,
                             TIMEOUT, "the subscriber is in", gateway.process, log)
            self.component_push(fake_port, callback_port, component_flow.AUTHORIZE,
                                authorizer_appid=AUTHORIZER, func_info=[1, 2])
            authorized = subscription.next()
            self.assertEqual(authorized.info_type, "authorized")
            self.assertEqual(authorized.authorized.authorizer_appid, AUTHORIZER)
            self.assertEqual(authorized.authorized.authorization_code, "")
            self.assertNotIn("queryauthcode@@@", str(authorized))
            self.assertEqual(self.calls(fake_port, QUERY_AUTH), 1, "exchanged before published")

            self.assertTrue(self.user_info(channel).openid)
            self.assertEqual(self.calls(fake_port, AUTHORIZER_TOKEN_PATH), 0,
                             "the exchange brought the token")
            # Menus need permission set 15, which the account did not grant.
            menus = menu_pb2_grpc.MenuServiceStub(channel)
            with self.assertRaises(grpc.RpcError) as lacking:
                menus.GetMenu(menu_pb2.GetMenuRequest(), timeout=TIMEOUT,
                              metadata=(("x-wx-appid", AUTHORIZER),))
            self.assertEqual(lacking.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            self.assertEqual(error_reason(lacking.exception), "AUTHORIZER_LACKS_PERMISSION")
            self.assertIn("15 Menu management", lacking.exception.details())
            self.assertEqual(self.calls(fake_port, "/cgi-bin/menu/get"), 0)
            # WeChat forgets the authorizer's token: one refresh, no caller error.
            stack.fake_request(ARGS, fake_port, "/fake/revoke", {"appid": AUTHORIZER})
            self.assertTrue(self.user_info(channel).openid)
            self.assertEqual(self.calls(fake_port, AUTHORIZER_TOKEN_PATH), 1)

        # A restart: the grant (refresh token) and the ticket survive in the state file.
        self.assertEqual(stack._stop(gateway.process), 0)
        self.processes.remove(gateway.process)
        restarted, callback_port, log = self.start_gateway(fake_port, "wxgate-restarted")
        with grpc.insecure_channel(restarted.target) as channel:
            self.assertTrue(self.user_info(channel).openid)
            stack.fake_request(ARGS, fake_port, "/fake/revoke", {"appid": AUTHORIZER})
            self.assertTrue(self.user_info(channel).openid)
            self.assertEqual(self.calls(fake_port, AUTHORIZER_TOKEN_PATH), 2,
                             "refreshed with the persisted refresh token")
            self.assertEqual(self.calls(fake_port, QUERY_AUTH), 1, "no new authorization")

            self.component_push(fake_port, callback_port, component_flow.UNAUTHORIZE,
                                authorizer_appid=AUTHORIZER)
            with self.assertRaises(grpc.RpcError) as revoked:
                self.user_info(channel)
            self.assertEqual(revoked.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
            self.assertEqual(error_reason(revoked.exception), "AUTHORIZER_REVOKED")
        for _, path in self.logs:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if "fake_wechat" in path:
                continue
            for secret in ("refreshtoken@@@", "queryauthcode@@@", COMPONENT_SECRET):
                self.assertNotIn(secret, text)
        # Revoked: the refresh token is gone from the state file, once the gateway's
        # writer thread (which runs after the store answered) has written it.
        state_file = os.path.join(self.workdir, "tokens.json")
        stack.wait_until(lambda: "refreshtoken@@@" not in stack._read(state_file), TIMEOUT,
                         "the revoked grant written to the state file", restarted.process, log)
        self.failed = False


def main():
    global ARGS, grpc, raw_pb2, raw_pb2_grpc, status_pb2, error_details_pb2
    global user_pb2, user_pb2_grpc, menu_pb2, menu_pb2_grpc
    ARGS, rest = stack.parse_args(__doc__)
    import grpc
    from google.rpc import error_details_pb2, status_pb2
    from wxgate.v1 import raw_pb2, raw_pb2_grpc
    from wechat.mp.v1 import menu_pb2, menu_pb2_grpc, user_pb2, user_pb2_grpc
    unittest.main(argv=rest)


if __name__ == "__main__":
    main()
