"""The real gateway starts on the wxgate.yaml of each rendering (plain manifests,
Helm chart with its default and example values), with nothing but what the pod
would have: the ConfigMap at /etc/wxgate and the Secret keys the Deployment
mounts, laid out under a temporary root (fake values of the right shape). Only
the listen addresses become free loopback ports and the Redis address a local
redis-server that requires the mounted password. Then, as the kubelet and
WeChat would: the health check on the probe's port answers SERVING, each
account's callback path is served, and SIGTERM ends the gateway within the
pod's grace period.

    config_load_test.py --helm H --chart C --manifests M --wxgate BIN
        --redis-server BIN --make-certs tests/integration/make_mtls_certs.sh
"""
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import grpc
import yaml

import manifests

ARGS = None
SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_secret(field, certs):
    """A value of the shape the field needs."""
    if field.endswith("encoding_aes_key.file"):
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))
    for suffix, name in (("tls.cert_file", "server.pem"), ("tls.key_file", "server.key"),
                         ("tls.client_ca_file", "ca.pem")):
        if field.endswith(suffix):
            with open(os.path.join(certs, name)) as f:
                return f.read()
    return secrets.token_hex(16)


def wait_until(what, predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def health_check(port, credentials=None):
    target = f"127.0.0.1:{port}"
    channel = (grpc.secure_channel(target, credentials) if credentials
               else grpc.insecure_channel(target))
    with channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        return check(b"", timeout=5)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        return e.code


class Pod:
    """The files a pod of the rendering sees, under `root`, and its processes."""

    def __init__(self, rendering, workdir):
        self.workdir, self.root = workdir, os.path.join(workdir, "pod")
        os.makedirs(self.root)
        self.deployment = rendering.one("Deployment")
        self.container = rendering.container()
        self.config = rendering.config()
        self.certs = os.path.join(workdir, "certs")
        subprocess.run(["bash", ARGS.make_certs, self.certs], check=True)
        self.processes = []
        self.ports = {name: free_port() for name in ("grpc", "callback", "health", "metrics")}

    def host_path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def lay_out_secrets(self):
        """Writes each mounted Secret key, nothing that is not mounted."""
        fields = {path: field for field, path in manifests.secret_files(self.config)}
        pod = self.deployment["spec"]["template"]["spec"]
        for path in manifests.mounted_secret_files(pod, self.container):
            os.makedirs(os.path.dirname(self.host_path(path)), exist_ok=True)
            with open(self.host_path(path), "w") as f:
                f.write(fake_secret(fields.get(path, ""), self.certs))

    def start_redis(self):
        redis = self.config["store"]["redis"]
        port = free_port()
        command = [ARGS.redis_server, "--port", str(port), "--bind", "127.0.0.1",
                   "--dir", self.workdir, "--save", "", "--appendonly", "no"]
        self.redis_password = None
        if "password" in redis:
            with open(self.host_path(redis["password"]["file"])) as f:
                self.redis_password = f.read().strip()
            command += ["--requirepass", self.redis_password]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self.processes.append(server)
        self.redis_port = port

        def answers():
            assert server.poll() is None, f"redis-server exited {server.returncode}"
            return self.redis("PING") == "PONG"
        wait_until("redis-server", answers)
        return f"127.0.0.1:{port}"

    def redis(self, *command):
        auth = ["--no-auth-warning", "-a", self.redis_password] if self.redis_password else []
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), *auth, *command],
                             capture_output=True, text=True)
        return out.stdout.strip()

    def write_config(self):
        """wxgate.yaml as mounted, on loopback, its files under the root."""
        config = yaml.safe_load(yaml.safe_dump(self.config))
        server = config["server"]
        server["grpc_listen"] = f"127.0.0.1:{self.ports['grpc']}"
        server["callback_listen"] = f"127.0.0.1:{self.ports['callback']}"
        for name, key in (("health", "health_listen"), ("metrics", "admin_listen")):
            if key in server:
                server[key] = f"127.0.0.1:{self.ports[name]}"
        for key in ("cert_file", "key_file", "client_ca_file"):
            if key in server.get("tls", {}):
                server["tls"][key] = self.host_path(server["tls"][key])
        for account in config["accounts"]:
            account["secret"]["file"] = self.host_path(account["secret"]["file"])
            for key in ("token", "encoding_aes_key"):
                if key in account.get("callback", {}):
                    account["callback"][key]["file"] = self.host_path(
                        account["callback"][key]["file"])
        if "store" in config:
            redis = config["store"]["redis"]
            redis["address"] = self.start_redis()
            if "password" in redis:
                redis["password"]["file"] = self.host_path(redis["password"]["file"])
        # Every file is under the root now: nothing of this machine is read.
        for field, path in manifests.secret_files(config):
            assert path.startswith(self.root), f"{field}: {path}"
        path = self.host_path(self.container["args"][1])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            yaml.safe_dump(config, f)
        return path

    def start_gateway(self, config_path):
        self.log = open(os.path.join(self.workdir, "wxgate.log"), "w+")
        self.gateway = subprocess.Popen(
            [ARGS.wxgate, self.container["args"][0], config_path], cwd=self.root,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            stdout=self.log, stderr=subprocess.STDOUT)
        self.processes.append(self.gateway)

        def serving():
            if self.gateway.poll() is not None:
                raise AssertionError(f"wxgate exited {self.gateway.returncode}:\n{self.output()}")
            return "serving gRPC" in self.output()
        wait_until("wxgate", serving)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.kill()
            process.wait()
        if hasattr(self, "log"):
            self.log.close()


class ConfigLoadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.renderings = manifests.renderings(ARGS)

    def test_the_gateway_serves_each_renderings_config(self):
        for rendering in self.renderings:
            with self.subTest(rendering=rendering.name):
                workdir = tempfile.mkdtemp(prefix="wxgate-deploy-")
                pod = Pod(rendering, workdir)
                try:
                    self.check(pod)
                finally:
                    pod.stop()
                    shutil.rmtree(workdir)

    def check(self, pod):
        pod.lay_out_secrets()
        pod.start_gateway(pod.write_config())
        output = pod.output()
        self.assertNotRegex(output, r" (WARN|ERROR) ", "the gateway complained")

        # The kubelet's gRPC probe (plaintext): the gRPC port behind a mesh, the
        # health listener when the gateway serves TLS.
        probe = pod.container["readinessProbe"]["grpc"]["port"]
        if "tls" in pod.config["server"]:
            self.assertEqual(manifests.port_of(pod.config["server"]["health_listen"]), probe)
            with open(os.path.join(pod.certs, "ca.pem"), "rb") as f:
                tls = grpc.ssl_channel_credentials(root_certificates=f.read())
            self.assertEqual(SERVING, health_check(pod.ports["grpc"], tls))
            # Why the probe goes elsewhere: plaintext gRPC fails on the TLS port.
            with self.assertRaises(grpc.RpcError):
                health_check(pod.ports["grpc"])
            self.assertEqual(SERVING, health_check(pod.ports["health"]))
        else:
            self.assertEqual(manifests.port_of(pod.config["server"]["grpc_listen"]), probe)
            self.assertEqual(SERVING, health_check(pod.ports["grpc"]))

        if "admin_listen" in pod.config["server"]:
            self.assertEqual(200, http_status(f"http://127.0.0.1:{pod.ports['metrics']}/metrics"))

        # The path the Ingress exposes reaches each account; an unsigned GET is
        # refused by the gateway (not 404: the account is served there).
        base = f"http://127.0.0.1:{pod.ports['callback']}/wechat/callback/"
        for account in pod.config["accounts"]:
            if "callback" in account:
                self.assertIn(http_status(base + account["appid"]), (400, 403))
        self.assertEqual(404, http_status(base + "wx0000000000000000"))

        if "store" in pod.config:  # connected with the mounted password
            clients = [c for c in pod.redis("CLIENT", "LIST").splitlines()
                       if "cmd=client|list" not in c]
            self.assertTrue(clients, "the gateway did not connect to Redis")

        # SIGTERM: the gateway drains and exits within the pod's grace period.
        grace = pod.deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        pod.gateway.send_signal(signal.SIGTERM)
        self.assertEqual(0, pod.gateway.wait(timeout=grace), pod.output())


def main():
    global ARGS
    ARGS, argv = manifests.parse_args(["--wxgate", "--redis-server", "--make-certs"])
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
