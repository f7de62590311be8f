"""End to end: the access rules reload on SIGHUP, and a bad file is refused while the
rules in force stay. wxgate runs as a process; Python gRPC calls
wxgate.v1.TokenService/TokenStatus (which needs no upstream) with API keys.

    /usr/bin/python3 tests/e2e/access_reload_test.py --wxgate BIN --stubs-dir GEN
"""

import argparse
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402

APPID = "wx1111111111111111"
TIMEOUT = 60.0
ARGS = None


def config(grpc_port, key):
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"""\
server: {{grpc_listen: "127.0.0.1:{grpc_port}"}}
accounts:
  - appid: {APPID}
    secret: {{env: {stack.SECRET_ENV}}}
access:
  callers:
    - name: ops
      api_key_sha256: ["{digest}"]
      policy: {{appids: ["*"], methods: ["wxgate.v1.TokenService/TokenStatus"]}}
"""


class AccessReloadTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="wxgate-reload-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.config = os.path.join(self.workdir, "wxgate.yaml")
        self.log = os.path.join(self.workdir, "wxgate.log")
        self.port = stack.free_port()
        self.write(config(self.port, "first-key"))
        env = dict(os.environ, **{stack.SECRET_ENV: stack.SECRET})
        self.gateway = stack._start([ARGS.wxgate, "--config", self.config], self.log, env=env)
        self.addCleanup(stack._stop, self.gateway)
        stack.wait_until(lambda: "serving gRPC" in stack._read(self.log), TIMEOUT,
                         "wxgate serving", self.gateway, self.log)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.addCleanup(self.channel.close)

    def write(self, text):
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)

    def status_with(self, key):
        stub = token_pb2_grpc.TokenServiceStub(self.channel)
        try:
            stub.TokenStatus(token_pb2.TokenStatusRequest(), timeout=TIMEOUT,
                             metadata=[("authorization", f"Bearer {key}")])
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()

    def reload(self, expected_log_event):
        before = stack._read(self.log).count(expected_log_event)
        self.gateway.send_signal(signal.SIGHUP)
        stack.wait_until(lambda: stack._read(self.log).count(expected_log_event) > before,
                         TIMEOUT, expected_log_event, self.gateway, self.log)

    def test_a_new_key_replaces_the_old_one_on_sighup(self):
        self.assertEqual(self.status_with("first-key"), grpc.StatusCode.OK)
        self.write(config(self.port, "second-key"))
        self.reload("access_reloaded")
        self.assertEqual(self.status_with("first-key"), grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(self.status_with("second-key"), grpc.StatusCode.OK)

    def test_the_process_never_dumps_core(self):
        # It holds secrets: no core file, whatever the shell's ulimit.
        with open(f"/proc/{self.gateway.pid}/limits", encoding="utf-8") as f:
            core = next(line for line in f if line.startswith("Max core file size"))
        self.assertEqual(core.split()[4:6], ["0", "0"], core)

    def test_a_bad_file_is_refused_and_the_rules_in_force_stay(self):
        self.write("access: {callers: [{name: ops, api_key_sha256: [\"not-a-hash\"]}]}\n")
        self.reload("access_reload_refused")
        self.assertIn("api_key_sha256", stack._read(self.log))
        self.assertEqual(self.status_with("first-key"), grpc.StatusCode.OK)
        self.assertIsNone(self.gateway.poll(), "the gateway keeps running")


def main():
    global ARGS, grpc, token_pb2, token_pb2_grpc
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wxgate", required=True)
    parser.add_argument("--stubs-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    sys.path[:0] = [ARGS.stubs_dir]
    import grpc
    from wxgate.v1 import token_pb2, token_pb2_grpc
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
