"""End to end: wxgate serves gRPC over TLS and requires client certificates; callers
are known by their certificate's SAN URI, and SIGHUP puts new identities in force.
Probes that cannot speak TLS get health alone on server.health_listen, in plaintext.
wxgate runs as a process with certificates made by make_mtls_certs.sh; Python gRPC
calls wxgate.v1.TokenService/TokenStatus (which needs no upstream).

    /usr/bin/python3 tests/e2e/mtls_test.py --wxgate BIN --stubs-dir GEN --make-certs SCRIPT
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402

APPID = "wx1111111111111111"
TIMEOUT = 60.0
ARGS = None


def config(grpc_port, health_port, certs, identities):
    listed = ", ".join(f'"{identity}"' for identity in identities)
    return f"""\
server:
  grpc_listen: "127.0.0.1:{grpc_port}"
  health_listen: "127.0.0.1:{health_port}"
  tls:
    cert_file: {certs}/server.pem
    key_file: {certs}/server.key
    client_ca_file: {certs}/ca.pem
    client_certificates: require
accounts:
  - appid: {APPID}
    secret: {{env: {stack.SECRET_ENV}}}
access:
  callers:
    - name: ops
      tls_identities: [{listed}]
      policy: {{appids: ["*"], methods: ["wxgate.v1.TokenService/TokenStatus"]}}
"""


class MtlsTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="wxgate-mtls-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.certs = os.path.join(self.workdir, "certs")
        subprocess.run(["bash", ARGS.make_certs, self.certs], check=True,
                       stdout=subprocess.DEVNULL)
        self.config = os.path.join(self.workdir, "wxgate.yaml")
        self.log = os.path.join(self.workdir, "wxgate.log")
        self.port, self.health_port = stack.free_port(), stack.free_port()
        self.write(["spiffe://test/shop"])
        env = dict(os.environ, **{stack.SECRET_ENV: stack.SECRET})
        self.gateway = stack._start([ARGS.wxgate, "--config", self.config], self.log, env=env)
        self.addCleanup(stack._stop, self.gateway)
        stack.wait_until(lambda: "serving gRPC" in stack._read(self.log), TIMEOUT,
                         "wxgate serving", self.gateway, self.log)

    def write(self, identities):
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(config(self.port, self.health_port, self.certs, identities))

    def read(self, name):
        with open(os.path.join(self.certs, name), "rb") as f:
            return f.read()

    def status_as(self, client):
        """TokenStatus over a new TLS connection presenting `client`'s certificate."""
        if client:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=self.read("ca.pem"),
                private_key=self.read(f"{client}.key"),
                certificate_chain=self.read(f"{client}.pem"))
        else:
            credentials = grpc.ssl_channel_credentials(root_certificates=self.read("ca.pem"))
        # A channel option of its own, so that no connection is shared between clients.
        options = [("grpc.ssl_target_name_override", "localhost"),
                   ("wxgate.test_client", client or "none")]
        with grpc.secure_channel(f"127.0.0.1:{self.port}", credentials, options) as channel:
            stub = token_pb2_grpc.TokenServiceStub(channel)
            try:
                stub.TokenStatus(token_pb2.TokenStatusRequest(), timeout=TIMEOUT)
                return grpc.StatusCode.OK
            except grpc.RpcError as error:
                return error.code()

    def reload(self):
        before = stack._read(self.log).count("access_reloaded")
        self.gateway.send_signal(signal.SIGHUP)
        stack.wait_until(lambda: stack._read(self.log).count("access_reloaded") > before,
                         TIMEOUT, "access_reloaded", self.gateway, self.log)

    def test_callers_are_known_by_their_certificates(self):
        self.assertEqual(self.status_as("shop"), grpc.StatusCode.OK)
        self.assertEqual(self.status_as("stranger"), grpc.StatusCode.PERMISSION_DENIED)
        for refused in ("untrusted", "expired", None):
            self.assertEqual(self.status_as(refused), grpc.StatusCode.UNAVAILABLE, refused)

    def test_the_health_listener_serves_health_alone_in_plaintext(self):
        target = f"127.0.0.1:{self.health_port}"
        self.assertTrue(stack.health_serving(target, TIMEOUT))
        with grpc.insecure_channel(target) as channel:
            stub = token_pb2_grpc.TokenServiceStub(channel)
            with self.assertRaises(grpc.RpcError) as refused:
                stub.TokenStatus(token_pb2.TokenStatusRequest(), timeout=TIMEOUT)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        # SIGTERM: the probe sees NOT_SERVING before the gateway goes.
        with grpc.insecure_channel(target) as channel:
            identity = lambda b: b  # noqa: E731
            watch = channel.unary_stream("/grpc.health.v1.Health/Watch",
                                         request_serializer=identity,
                                         response_deserializer=identity)(b"", timeout=TIMEOUT)
            self.assertEqual(next(watch), b"\x08\x01")  # SERVING
            self.gateway.send_signal(signal.SIGTERM)
            self.assertEqual(next(watch), b"\x08\x02")  # NOT_SERVING
        self.assertEqual(self.gateway.wait(timeout=TIMEOUT), 0)

    def test_sighup_puts_new_identities_in_force(self):
        self.write(["spiffe://test/stranger"])
        self.reload()
        self.assertEqual(self.status_as("stranger"), grpc.StatusCode.OK)
        self.assertEqual(self.status_as("shop"), grpc.StatusCode.PERMISSION_DENIED)


def main():
    global ARGS, grpc, token_pb2, token_pb2_grpc
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wxgate", required=True)
    parser.add_argument("--stubs-dir", required=True)
    parser.add_argument("--make-certs", required=True)
    ARGS, rest = parser.parse_known_args()
    sys.path[:0] = [ARGS.stubs_dir]
    import grpc
    from wxgate.v1 import token_pb2, token_pb2_grpc
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
