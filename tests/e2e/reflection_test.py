"""A client that knows nothing but server reflection (buf curl) against a running wxgate.

    /usr/bin/python3 tests/e2e/reflection_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --buf tests/tools/node_modules/.bin/buf \
        --proto-dir proto

The methods expected in `buf curl --list-methods` are read from the .proto files
(every rpc of every service under proto/wechat and proto/wxgate/v1), plus gRPC's
health service. If buf is missing the test fails and says how to install it.
"""

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
HEALTH_METHODS = {"grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch"}
BUF_TIMEOUT = 120  # seconds, for one buf invocation on a loaded machine
# Directories (under --proto-dir) whose services the gateway serves.
SERVED_PROTO_DIRS = ("wechat", os.path.join("wxgate", "v1"))

ARGS = None  # parsed in main()


def declared_methods(proto_dir):
    """{"pkg.Service/Method", ...} for every rpc declared under SERVED_PROTO_DIRS."""
    methods = set()
    for sub in SERVED_PROTO_DIRS:
        for root, _, files in os.walk(os.path.join(proto_dir, sub)):
            for name in sorted(files):
                if name.endswith(".proto"):
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        methods |= _methods_in(f.read())
    return methods


def _methods_in(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    package = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M)
    prefix = package.group(1) + "." if package else ""
    methods = set()
    for service in re.finditer(r"^\s*service\s+(\w+)\s*\{", text, re.M):
        depth, end = 1, service.end()
        while depth and end < len(text):  # the service's body ends at its matching brace
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        for rpc in re.finditer(r"\brpc\s+(\w+)\s*\(", text[service.end():end]):
            methods.add(f"{prefix}{service.group(1)}/{rpc.group(1)}")
    return methods


class ReflectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._resources = contextlib.ExitStack()
        try:
            cls.cache = cls._resources.enter_context(tempfile.TemporaryDirectory())
            cls.target, cls.appid, *_ = cls._resources.enter_context(
                stack.running(ARGS, server_extra="  channelz: true\n"))
        except BaseException:
            cls._resources.close()
            raise
        cls.base_url = f"http://{cls.target}"

    @classmethod
    def tearDownClass(cls):
        cls._resources.close()

    def buf_curl(self, *args):
        argv = [ARGS.buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
                "--connect-timeout", "30", *args]
        run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=BUF_TIMEOUT, env=dict(os.environ, BUF_CACHE_DIR=self.cache))
        return (run.returncode, run.stdout.decode("utf-8", "replace"),
                run.stderr.decode("utf-8", "replace"))

    def test_list_methods_shows_every_service(self):
        expected = declared_methods(ARGS.proto_dir)
        services = {m.split("/")[0] for m in expected}
        for service in ("wechat.mp.v1.BasicService", "wechat.mp.v1.OpenApiService",
                        "wechat.mp.v1.UserService", "wechat.mp.v1.TagService",
                        "wxgate.v1.RawService"):
            self.assertIn(service, services, "the .proto parser missed a service")
        code, out, err = self.buf_curl("--list-methods", self.base_url)
        self.assertEqual(code, 0, err)
        listed = set(out.split())
        missing = sorted((expected | HEALTH_METHODS) - listed)
        self.assertFalse(missing, f"not listed through reflection: {missing}\nbuf printed:\n{out}")

    def test_channelz_counts_the_calls_served(self):
        code, out, err = self.buf_curl("--list-methods", self.base_url)
        self.assertIn("grpc.channelz.v1.Channelz/GetServers", out.split(), err)
        code, out, err = self.buf_curl(f"{self.base_url}/grpc.channelz.v1.Channelz/GetServers")
        self.assertEqual(code, 0, err)
        servers = json.loads(out)["server"]
        self.assertEqual(len(servers), 1, out)
        self.assertGreater(int(servers[0]["data"]["callsStarted"]), 0, out)

    def test_get_user_info(self):
        code, out, err = self.buf_curl(
            "-d", json.dumps({"openid": OPENID}),
            f"{self.base_url}/wechat.mp.v1.UserService/GetUserInfo")
        self.assertEqual(code, 0, err)
        user = json.loads(out)
        self.assertEqual(user["openid"], OPENID)
        self.assertEqual(user["city"], "广州")

    def test_unknown_appid_is_not_found(self):
        code, _, err = self.buf_curl(
            "-H", "x-wx-appid: wx2222222222222222", "-d", json.dumps({"openid": OPENID}),
            f"{self.base_url}/wechat.mp.v1.UserService/GetUserInfo")
        self.assertEqual(code, 5 << 3, f"want NOT_FOUND (buf exits with code << 3): {err}")

    def test_health_check_is_serving(self):
        code, out, err = self.buf_curl(
            "-d", "{}", f"{self.base_url}/grpc.health.v1.Health/Check")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out), {"status": "SERVING"})


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack.add_arguments(parser)
    parser.add_argument("--buf", required=True, help="the buf binary (tests/tools)")
    parser.add_argument("--proto-dir", required=True, help="the repository's proto/")
    ARGS, rest = parser.parse_known_args()
    if not os.access(ARGS.buf, os.X_OK):
        sys.exit(f"FAIL: buf not found at {ARGS.buf}; install it with "
                 f"`npm install --prefix tests/tools` (from the repository root)")
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
