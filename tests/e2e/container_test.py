"""The wxgate image (deploy/container/) run by podman: what it holds, and a real run.

    /usr/bin/python3 tests/e2e/container_test.py --image localhost/wxgate:VERSION \
        --wxgate BIN --fake-wechat BIN --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN

The image is built beforehand (ctest's container_image fixture runs
deploy/container/build-image.sh --local-base). The run uses the host network, so the
container reaches the fake WeChat on loopback, with a read-only root file system, the
configuration and CA mounted as files, the account's secret as a mounted file and the
callback token as an environment variable, as a deployment would.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402
from wechat_push import TIMEOUT, push, text_push  # noqa: E402

ARGS = None
PODMAN = ["podman", "--runtime", "runc"]  # crun fails here (TOOLCHAIN.md, containers)
# podman's default limits exceed what the host allows; the host's own hard limit works.
_FILES = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
LIMITS = ["--ulimit", f"nofile={_FILES}:{_FILES}", "--ulimit", "nproc=4096:4096"]
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def podman(*argv, check=True):
    return subprocess.run(PODMAN + list(argv), capture_output=True, text=True, check=check,
                          timeout=300)


class ImageTest(unittest.TestCase):
    def test_runs_as_non_root_from_a_labelled_shell_less_image(self):
        config = json.loads(podman("image", "inspect", ARGS.image).stdout)[0]["Config"]
        version = ARGS.image.rsplit(":", 1)[1]
        self.assertEqual(config["User"], "65532:65532")
        self.assertEqual(config["Labels"]["org.opencontainers.image.version"], version)
        self.assertEqual(config["Entrypoint"], ["/usr/bin/wxgate"])
        self.assertEqual(config["StopSignal"], "SIGTERM")
        self.assertEqual(podman("run", "--rm", *LIMITS, ARGS.image, "--version").stdout,
                         f"wxgate {version}\n")
        no_shell = podman("run", "--rm", *LIMITS, "--entrypoint", "/bin/sh", ARGS.image,
                          "-c", "true", check=False)
        self.assertNotEqual(no_shell.returncode, 0, "the image must hold no shell")


class RunTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="wxgate-container-")
        os.chmod(self.workdir, 0o755)  # the container's user reads the mounted files
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        fake, self.fake_port = stack.start_fake(ARGS, self.workdir)
        self.addCleanup(stack._stop, fake)

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def test_serves_calls_and_pushes_then_drains_on_sigterm(self):
        grpc_port, callback_port = stack.free_port(), stack.free_port()
        config = self.write("wxgate.yaml", f"""\
server: {{grpc_listen: "127.0.0.1:{grpc_port}", callback_listen: "127.0.0.1:{callback_port}"}}
upstream:
  base_url: "https://127.0.0.1:{self.fake_port}"
  ca_file: /etc/wxgate/ca.pem
accounts:
  - appid: {stack.APPID}
    secret: {{file: /run/secrets/wx-secret}}
    callback: {{token: {{env: WX_CALLBACK_TOKEN}}}}
access:
  {stack.ANYONE}
""")
        secrets = os.path.join(self.workdir, "secrets")
        os.mkdir(secrets, 0o755)
        self.write("secrets/wx-secret", stack.SECRET)
        name = f"wxgate-test-{os.getpid()}"
        log = os.path.join(self.workdir, "container.log")
        with open(log, "wb") as out:
            container = subprocess.Popen(
                PODMAN + ["run", "--rm", "--name", name, "--network", "host", "--read-only",
                          *LIMITS, "-e", f"WX_CALLBACK_TOKEN={stack.CALLBACK_TOKEN}",
                          "-v", f"{config}:/etc/wxgate/wxgate.yaml:ro",
                          "-v", f"{os.path.join(ARGS.cert_dir, 'ca.pem')}:/etc/wxgate/ca.pem:ro",
                          "-v", f"{secrets}:/run/secrets:ro", ARGS.image],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: container.poll() is None and podman("rm", "-f", name))
        try:
            stack.wait_until(lambda: f"(port {grpc_port})" in stack._read(log), TIMEOUT,
                             "the container serving", container, log)
            target = f"127.0.0.1:{grpc_port}"
            self.assertTrue(stack.health_serving(target, TIMEOUT))
            with grpc.insecure_channel(target) as channel:
                users = user_pb2_grpc.UserServiceStub(channel)
                answer = users.GetUserInfo(user_pb2.GetUserInfoRequest(openid=OPENID),
                                           timeout=TIMEOUT)
            self.assertEqual(answer.openid, OPENID)
            url = f"http://127.0.0.1:{callback_port}/wechat/callback/{stack.APPID}"
            self.assertEqual(push(url, text_push("hello", 1)), (200, "success"))

            podman("kill", "--signal", "TERM", name)
            self.assertEqual(container.wait(timeout=TIMEOUT), 0)
            self.assertRegex(stack._read(log), r"drained .*pushes_answered=\"?all")
        except BaseException:
            print(f"----- container output -----\n{stack._read(log)}", file=sys.stderr)
            raise


def main():
    global ARGS, grpc, user_pb2, user_pb2_grpc
    ARGS, argv = stack.parse_args(__doc__, required=["--image"])  # e.g. localhost/wxgate:0.1.0
    import grpc
    from wechat.mp.v1 import user_pb2, user_pb2_grpc
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
