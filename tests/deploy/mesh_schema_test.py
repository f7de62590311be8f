#!/usr/bin/python3
"""deploy/mesh's Envoy bootstrap and Istio objects pass meshcheck, and broken copies
of them do not (so the checker is shown to check).

    mesh_schema_test.py [--go GO]

meshcheck (tests/deploy/meshcheck) is built first with the Envoy and Istio API
modules its go.mod pins; Go fetches them through the module proxy on a first run.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MESH = ROOT / "deploy" / "mesh"
FILES = [MESH / "envoy" / "envoy.yaml", *sorted((MESH / "istio").glob("*.yaml"))]
GO = "go"
CHECKER = ""

# (file, text to replace, replacement, what the checker must say)
BROKEN = [
    ("envoy/envoy.yaml", "forward_client_cert_details: SANITIZE_SET",
     "forward_client_cert_details: SANITISE_SET", 'invalid value for enum field'),
    ("envoy/envoy.yaml", "stat_prefix: wxgate_grpc", "stat_prefx: wxgate_grpc",
     'unknown field "stat_prefx"'),
    ("envoy/envoy.yaml", "filters.http.router.v3.Router", "filters.http.router.v3.Routr",
     'unable to resolve'),
    ("envoy/envoy.yaml", "port_value: 50051", "port_value: 70000", "PortValue"),
    # A protoc-gen-validate rule inside an Any (stat_prefix must not be empty).
    ("envoy/envoy.yaml", "stat_prefix: wxgate_callbacks", 'stat_prefix: ""', "StatPrefix"),
    ("envoy/envoy.yaml", "cluster: wxgate_callback,", "cluster: wxgate_callbacks,",
     'cluster "wxgate_callbacks", which is not defined'),
    ("envoy/envoy.yaml", "interval: 5s", "interval: 5 s", "Duration"),
    ("istio/peer-authentication.yaml", "mode: STRICT", "mode: STRICTER",
     'invalid value for enum field mode'),
    ("istio/virtual-service.yaml", "attempts: 0", "attemps: 0", 'unknown field "attemps"'),
    ("istio/virtual-service.yaml", "perTryTimeout: 10s", "perTryTimeout: ten", "Duration"),
    ("istio/destination-rule.yaml", "mode: ISTIO_MUTUAL", "mode: MUTUAL_ISTIO",
     'invalid value for enum field mode'),
    ("istio/authorization-policy.yaml", "- /wechat.mp.v1.KfService/*",
     "- /wechat.*.KfService/*", "one '*', at the start or the end"),
    ("istio/authorization-policy.yaml", "action: ALLOW", "action: PERMIT",
     'invalid value for enum field action'),
    ("istio/xfcc-sanitize.yaml", "forward_client_cert_details: SANITIZE_SET",
     "forward_client_cert_detail: SANITIZE_SET", 'unknown field "forward_client_cert_detail"'),
    ("istio/destination-rule.yaml", "kind: DestinationRule", "kind: DestinationRules",
     "unknown kind"),
]


def check(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([CHECKER, *map(str, paths)], capture_output=True, text=True)


class MeshSchemas(unittest.TestCase):
    def test_committed_files_pass(self):
        result = check(*FILES)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.count(": ok\n"), len(FILES), result.stdout)

    def test_broken_copies_are_refused(self):
        with tempfile.TemporaryDirectory() as work:
            for i, (relative, old, new, expected) in enumerate(BROKEN):
                with self.subTest(file=relative, change=new):
                    text = (MESH / relative).read_text()
                    self.assertIn(old, text)
                    broken = pathlib.Path(work) / f"{i}.yaml"
                    broken.write_text(text.replace(old, new, 1))
                    result = check(broken)
                    self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                    self.assertIn(expected, result.stdout)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--go", default="go")
    args, rest = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as bin_dir:
        CHECKER = f"{bin_dir}/meshcheck"
        subprocess.run([args.go, "build", "-o", CHECKER, "."], check=True,
                       cwd=pathlib.Path(__file__).resolve().parent / "meshcheck")
        run = unittest.main(argv=[sys.argv[0], *rest], verbosity=2, exit=False)
    sys.exit(0 if run.result.wasSuccessful() else 1)
