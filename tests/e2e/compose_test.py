"""The Compose trial (deploy/compose/) brought up, smoke-checked and taken down by
podman-compose, as the README tells a user to.

    /usr/bin/python3 tests/e2e/compose_test.py --stubs-dir GEN

The wxgate image is built beforehand (ctest's container_image fixture); trial.sh
builds the fake WeChat's. No registry is reachable here, so Redis's image is made
from Debian 12's redis-server package (mmdebstrap) instead of docker.io's. Every
service listens on free loopback ports.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402

ARGS = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIAL = os.path.join(ROOT, "deploy", "compose", "trial.sh")
REDIS_IMAGE = "localhost/wxgate-trial-redis:bookworm"
PODMAN = ["podman", "--runtime", "runc"]


def make_redis_image():
    if subprocess.run(PODMAN + ["image", "exists", REDIS_IMAGE]).returncode == 0:
        return
    with tempfile.TemporaryDirectory() as work:
        tar = os.path.join(work, "redis.tar")
        subprocess.run(["mmdebstrap", "--quiet", "--variant=essential",
                        "--include=redis-server", "bookworm", tar], check=True, timeout=1800)
        subprocess.run(PODMAN + ["import", tar, REDIS_IMAGE], check=True, timeout=600,
                       stdout=subprocess.DEVNULL)


class ComposeTrialTest(unittest.TestCase):
    def test_up_smoke_down(self):
        make_redis_image()
        with tempfile.TemporaryDirectory(prefix="wxgate-trial-") as trial_dir:
            env = dict(os.environ,
                       WXGATE_TRIAL_DIR=trial_dir,
                       WXGATE_TRIAL_GRPC_PORTS=" ".join(str(stack.free_port()) for _ in "123"),
                       WXGATE_TRIAL_CALLBACK_PORTS=" ".join(
                           str(stack.free_port()) for _ in "123"),
                       WXGATE_TRIAL_REDIS_PORT=str(stack.free_port()),
                       WXGATE_TRIAL_FAKE_PORT=str(stack.free_port()),
                       WXGATE_REDIS_IMAGE=REDIS_IMAGE,
                       WXGATE_STUBS_DIR=ARGS.stubs_dir)

            def trial(command):
                return subprocess.run(["bash", TRIAL, command], env=env, capture_output=True,
                                      text=True, timeout=3600)

            try:
                up = trial("up")
                self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
                self.assertEqual(up.stdout.count(" serves"), 3, up.stdout)
                smoke = trial("smoke")
                self.assertEqual(smoke.returncode, 0, smoke.stdout + smoke.stderr)
                self.assertIn("one token fetch for the whole cluster", smoke.stdout)
                self.assertRegex(smoke.stdout, r"a push to .* reached a subscriber on ")
            finally:
                down = trial("down")
            self.assertEqual(down.returncode, 0, down.stdout + down.stderr)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stubs-dir", required=True, help="the generated Python modules")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
