#!/usr/bin/python3
"""deploy/mesh's wxgate configurations are real ones that do what they say.

    mesh_config_test.py --wxgate PATH

Each configuration (the Istio example, and the one behind envoy/envoy.yaml) is started
with the real gateway, its listen addresses moved to free loopback ports and its
secrets' environment variables set. Then a call carrying the header Envoy writes
(x-forwarded-client-cert, SANITIZE_SET with the URI) is admitted as the caller that
identity names, refused outside that caller's policy and for an unknown identity,
and a call without it is unauthenticated.
"""
import argparse
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
import yaml

MESH = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "mesh"
WXGATE = ""
ENV = {"WX_SECRET_MAIN": "not-a-real-secret", "WX_CALLBACK_TOKEN": "not-a-real-token"}
TOKEN_STATUS = "/wxgate.v1.TokenService/TokenStatus"
SUBSCRIBE = "/wxgate.v1.EventService/Subscribe"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def xfcc(spiffe_id: str) -> str:
    return f'By=spiffe://cluster.local/ns/wxgate/sa/wxgate;Hash=00ff;Subject="";URI={spiffe_id}'


class Gateway:
    """The real gateway on `config`, with loopback listen addresses."""

    def __init__(self, config: dict, work: pathlib.Path):
        self.port = free_port()
        config["server"]["grpc_listen"] = f"127.0.0.1:{self.port}"
        if "callback_listen" in config["server"]:
            config["server"]["callback_listen"] = f"127.0.0.1:{free_port()}"
        path = work / "wxgate.yaml"
        path.write_text(yaml.safe_dump(config))
        self.log = work / "wxgate.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen([WXGATE, "--config", str(path)], stdout=log,
                                            stderr=subprocess.STDOUT, env={**os.environ, **ENV})
        deadline = time.monotonic() + 30
        while "serving gRPC" not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"wxgate did not start:\n{self.log.read_text()}")
            time.sleep(0.05)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

    def status(self, method: str, identity: str | None) -> grpc.StatusCode:
        metadata = [("x-forwarded-client-cert", xfcc(identity))] if identity else []
        call = (self.channel.unary_stream if method == SUBSCRIBE else self.channel.unary_unary)(
            method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        try:
            # An admitted subscription waits for events: a short deadline ends it.
            result = call(b"", metadata=metadata, timeout=1 if method == SUBSCRIBE else 5)
            if method == SUBSCRIBE:
                next(iter(result))
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class MeshConfigs(unittest.TestCase):
    def start(self, relative: str) -> Gateway:
        work = tempfile.TemporaryDirectory()
        self.addCleanup(work.cleanup)
        gateway = Gateway(yaml.safe_load((MESH / relative).read_text()), pathlib.Path(work.name))
        self.addCleanup(gateway.stop)
        self.addCleanup(gateway.channel.close)
        return gateway

    def test_istio_example(self):
        gateway = self.start("example-wxgate.yaml")
        ops = "spiffe://cluster.local/ns/ops/sa/ops-batch"
        worker = "spiffe://cluster.local/ns/shop/sa/events-worker"
        self.assertEqual(gateway.status(TOKEN_STATUS, ops), grpc.StatusCode.OK)
        self.assertEqual(gateway.status(TOKEN_STATUS, worker), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(gateway.status(SUBSCRIBE, worker), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(gateway.status(TOKEN_STATUS, "spiffe://cluster.local/ns/x/sa/y"),
                         grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(gateway.status(TOKEN_STATUS, None), grpc.StatusCode.UNAUTHENTICATED)

    def test_envoy_example(self):
        gateway = self.start("envoy/wxgate.yaml")
        worker = "spiffe://example.org/ns/shop/sa/events-worker"
        shop = "spiffe://example.org/ns/shop/sa/shop-backend"
        self.assertEqual(gateway.status(SUBSCRIBE, worker), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(gateway.status(SUBSCRIBE, shop), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(gateway.status(TOKEN_STATUS, None), grpc.StatusCode.UNAUTHENTICATED)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--wxgate", required=True)
    args, rest = parser.parse_known_args()
    WXGATE = args.wxgate
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
