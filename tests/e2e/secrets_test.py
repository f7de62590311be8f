"""End to end: the gateway's secrets never leave it. wxgate runs as a process holding
an app secret, a callback token, an EncodingAESKey (safe mode) and an API key; the
test drives it through successes and failures of every kind, then looks for each
secret in everything the gateway said: its log, every answer and error, TokenStatus,
the admin listener's /metrics and /status.json.
It runs twice: with the default text log, and with JSON lines at the debug level
(every call and push logged), each line of which must parse.

A third-party platform too (ComponentSecretsTest, twice as well): the fake pushes a
component_verify_ticket, an account authorizes the platform, calls are made on its
behalf while the fake forgets its token twice (each refresh rotates its refresh
token), one call lacks a permission set, the account unauthorizes; then none of the
component secret, callback token and key, nor any ticket, component_access_token,
authorization code, refresh token or authorizer_access_token the fake issued (it
lists them) appears in the log, an answer, an error, TokenStatus, /metrics or
/status.json.

    /usr/bin/python3 tests/e2e/secrets_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN --push BIN --pushes-dir DIR
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import component_flow  # noqa: E402
import stack  # noqa: E402

API_KEY = "e2e-api-key-never-to-be-seen-7f3a"
INLINE_SECRET = "inline-secret-pasted-by-mistake-91c2"
TIMEOUT = 60.0
ARGS = None

ACCESS = f"""callers:
    - name: shop
      api_key_sha256: ["{hashlib.sha256(API_KEY.encode()).hexdigest()}"]
      policy: {{appids: ["*"], methods: ["*"]}}"""


# What a user sent and who they are: never logged either.
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
PUSHED_OPENID = "oV5CrjpxgaGXNHIQigzNlgLTnwic"  # tests/fake_wechat/pushes/text.xml
PUSHED_CONTENT = "this is a test"


class SecretsTest(unittest.TestCase):
    LOG = ""  # the config's log section: the default, text at info

    def setUp(self):
        self.admin_port = stack.free_port()
        running = stack.running(
            ARGS, callback_mode="safe", access=ACCESS, extra=self.LOG,
            server_extra=f'  admin_listen: "127.0.0.1:{self.admin_port}"\n')
        self.stack = running.__enter__()
        self.addCleanup(running.__exit__, None, None, None)
        self.channel = grpc.insecure_channel(self.stack.target)
        self.addCleanup(self.channel.close)
        self.said = []  # every answer and error the gateway gave

    def call(self, rpc, request, key=API_KEY):
        metadata = [("authorization", f"Bearer {key}")] if key is not None else []
        try:
            answer = rpc(request, timeout=TIMEOUT, metadata=metadata)
            self.said.append(str(answer))
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            self.said += [error.details() or "", str(error.trailing_metadata())]
            return error.code()

    def push_forged(self):
        timestamp, nonce = str(int(time.time())), "n"
        signature = hashlib.sha1("".join(sorted(["wrong", timestamp, nonce])).encode()).hexdigest()
        request = urllib.request.Request(
            f"{self.stack.callback_url}?timestamp={timestamp}&nonce={nonce}"
            f"&signature={signature}&msg_signature={signature}&encrypt_type=aes",
            data=b"<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def reload_with_inline_secret(self):
        with open(self.stack.config, encoding="utf-8") as f:
            good = f.read()
        bad = good.replace(f"secret: {{env: {stack.SECRET_ENV}}}", f'secret: "{INLINE_SECRET}"')
        self.assertNotEqual(good, bad)
        with open(self.stack.config, "w", encoding="utf-8") as f:
            f.write(bad)
        self.stack.gateway.send_signal(signal.SIGHUP)
        stack.wait_until(lambda: "access_reload_refused" in stack._read(self.stack.log), TIMEOUT,
                         "the reload being refused", self.stack.gateway, self.stack.log)

    def test_no_secret_appears_in_logs_or_answers(self):
        users = user_pb2_grpc.UserServiceStub(self.channel)
        tokens = token_pb2_grpc.TokenServiceStub(self.channel)
        ok = user_pb2.GetUserInfoRequest(openid=OPENID)
        self.assertEqual(self.call(users.GetUserInfo, ok), grpc.StatusCode.OK)
        self.assertEqual(self.call(users.GetUserInfo, user_pb2.GetUserInfoRequest()),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(self.call(users.GetUserInfo, ok, key=API_KEY + "x"),
                         grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(self.call(users.GetUserInfo, ok, key=None),
                         grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(self.call(tokens.TokenStatus, token_pb2.TokenStatusRequest()),
                         grpc.StatusCode.OK)

        pushed = subprocess.run(
            [ARGS.push, "--url", self.stack.callback_url, "--appid", self.stack.appid,
             "--token_env", stack.CALLBACK_TOKEN_ENV, "--aes_key_env", stack.AES_KEY_ENV,
             os.path.join(ARGS.pushes_dir, "text.xml")],
            env=dict(os.environ, **{stack.CALLBACK_TOKEN_ENV: stack.CALLBACK_TOKEN,
                                    stack.AES_KEY_ENV: stack.AES_KEY}),
            capture_output=True, timeout=TIMEOUT)
        self.assertEqual(pushed.returncode, 0, pushed.stdout + pushed.stderr)
        status, body = self.push_forged()
        self.assertEqual(status, 403)
        self.said.append(body)
        self.reload_with_inline_secret()
        for path in ("/metrics", "/status.json"):
            request = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}",
                                             headers={"Authorization": f"Bearer {API_KEY}"})
            with urllib.request.urlopen(request, timeout=TIMEOUT) as page:
                self.said.append(page.read().decode())
        self.assertIn("wxgate_pushes_total", self.said[-2])
        self.assertIn(self.stack.appid, self.said[-1])

        log = stack._read(self.stack.log)
        self.assertIn("access_reload_refused", log)
        for name, secret in (("app secret", stack.SECRET), ("callback token", stack.CALLBACK_TOKEN),
                             ("EncodingAESKey", stack.AES_KEY), ("API key", API_KEY),
                             ("inline secret", INLINE_SECRET)):
            self.assertNotIn(secret, log, f"the {name} is in the gateway's log")
            for said in self.said:
                self.assertNotIn(secret, said, f"the {name} is in an answer: {said}")
        for name, private in (("openid", OPENID), ("pushed openid", PUSHED_OPENID),
                              ("message content", PUSHED_CONTENT)):
            self.assertNotIn(private, log, f"the {name} is in the gateway's log")
            for page in self.said[-2:]:  # /metrics and /status.json
                self.assertNotIn(private, page, f"the {name} is on the admin listener")
        self.check_log_lines(log)

    def check_log_lines(self, log):
        """The text form has nothing more to check."""


class JsonDebugSecretsTest(SecretsTest):
    LOG = "log:\n  format: json\n  level: debug\n"

    def check_log_lines(self, log):
        events = set()
        for line in log.splitlines():
            if stack._SERVING.match(line):
                continue  # stdout's banner
            events.add(json.loads(line)["event"])
        # Debug shows every call and push, so that their lines were checked too.
        self.assertTrue({"call", "push", "call_refused", "access_reload_refused"} <= events,
                        events)


class ComponentSecretsTest(unittest.TestCase):
    LOG = ""

    def setUp(self):
        self.admin_port = stack.free_port()
        secrets_dir = tempfile.mkdtemp(prefix="wxgate-e2e-component-secrets-")
        self.addCleanup(shutil.rmtree, secrets_dir, ignore_errors=True)
        running = stack.running(
            ARGS, access=ACCESS, extra=self.LOG + component_flow.config(secrets_dir),
            server_extra=f'  admin_listen: "127.0.0.1:{self.admin_port}"\n',
            fake_args=component_flow.FAKE_ARGS + ("--rotate-refresh-tokens", "1"))
        self.stack = running.__enter__()
        self.addCleanup(running.__exit__, None, None, None)
        self.channel = grpc.insecure_channel(self.stack.target)
        self.addCleanup(self.channel.close)
        self.said = []
        self.for_authorizer = [("authorization", f"Bearer {API_KEY}"),
                               ("x-wx-appid", component_flow.AUTHORIZER)]

    def call(self, rpc, request):
        try:
            self.said.append(str(rpc(request, timeout=TIMEOUT, metadata=self.for_authorizer)))
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            self.said += [error.details() or "", str(error.trailing_metadata())]
            return error.code()

    def admin_pages(self):
        for path in ("/metrics", "/status.json"):
            request = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}",
                                             headers={"Authorization": f"Bearer {API_KEY}"})
            with urllib.request.urlopen(request, timeout=TIMEOUT) as page:
                self.said.append(page.read().decode())

    def push(self, route, **body):
        base = component_flow.callback_base(self.stack.callback_url)
        pushed = component_flow.push(ARGS, self.stack.fake_port, base, route, **body)
        self.said.append(json.dumps(pushed))

    def test_no_component_credential_appears_in_logs_or_answers(self):
        users = user_pb2_grpc.UserServiceStub(self.channel)
        menus = menu_pb2_grpc.MenuServiceStub(self.channel)
        tokens = token_pb2_grpc.TokenServiceStub(self.channel)
        user = user_pb2.GetUserInfoRequest(openid=OPENID)
        self.push(component_flow.PUSH_TICKET)
        self.push(component_flow.AUTHORIZE, authorizer_appid=component_flow.AUTHORIZER,
                  func_info=[1, 2])
        self.assertEqual(self.call(users.GetUserInfo, user), grpc.StatusCode.OK)
        for _ in range(2):  # WeChat forgets the token: a refresh, a new refresh token
            stack.fake_request(ARGS, self.stack.fake_port, "/fake/revoke",
                               {"appid": component_flow.AUTHORIZER})
            self.assertEqual(self.call(users.GetUserInfo, user), grpc.StatusCode.OK)
        self.assertEqual(self.call(menus.GetMenu, menu_pb2.GetMenuRequest()),
                         grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(self.call(tokens.TokenStatus, token_pb2.TokenStatusRequest()),
                         grpc.StatusCode.OK)
        self.admin_pages()
        status = json.loads(self.said[-1])
        self.assertEqual(status["components"][0]["authorizers"][0]["grant"],
                         "GRANT_STATE_AUTHORIZED")
        self.push(component_flow.UNAUTHORIZE, authorizer_appid=component_flow.AUTHORIZER)
        self.assertEqual(self.call(users.GetUserInfo, user),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.admin_pages()

        issued = component_flow.issued(ARGS, self.stack.fake_port)
        # What the flow must have made the fake issue, every one looked for below.
        for kind, at_least in (("component_verify_ticket", 1), ("component_access_token", 1),
                               ("authorization_code", 1), ("authorizer_refresh_token", 3),
                               ("authorizer_access_token", 3)):
            self.assertGreaterEqual(len(issued.get(kind, [])), at_least, (kind, issued))
        secrets = [("component secret", component_flow.COMPONENT_SECRET),
                   ("component callback token", component_flow.COMPONENT_TOKEN),
                   ("component EncodingAESKey", component_flow.COMPONENT_KEY),
                   ("API key", API_KEY)]
        for kind, values in issued.items():
            if kind != "access_token":  # the account's own: the first test's concern
                secrets += [(kind, value) for value in values]
        log = stack._read(self.stack.log)
        for name, secret in secrets:
            self.assertNotIn(secret, log, f"a {name} is in the gateway's log")
            for said in self.said:
                self.assertNotIn(secret, said, f"a {name} is in an answer: {said}")
        self.check_log_lines(log)

    def check_log_lines(self, log):
        """The text form has nothing more to check."""


class JsonDebugComponentSecretsTest(ComponentSecretsTest):
    LOG = JsonDebugSecretsTest.LOG

    def check_log_lines(self, log):
        events = {json.loads(line)["event"] for line in log.splitlines()
                  if not stack._SERVING.match(line)}
        self.assertTrue({"call", "push", "component_ticket_stored"} <= events, events)


def main():
    global ARGS, grpc, user_pb2, user_pb2_grpc, token_pb2, token_pb2_grpc
    global menu_pb2, menu_pb2_grpc
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack.add_arguments(parser)
    parser.add_argument("--stubs-dir", required=True)
    parser.add_argument("--push", required=True, help="the fake_wechat_push binary")
    parser.add_argument("--pushes-dir", required=True, help="sample pushes")
    ARGS, rest = parser.parse_known_args()
    sys.path[:0] = [ARGS.stubs_dir]
    import grpc
    from wechat.mp.v1 import menu_pb2, menu_pb2_grpc, user_pb2, user_pb2_grpc
    from wxgate.v1 import token_pb2, token_pb2_grpc
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
