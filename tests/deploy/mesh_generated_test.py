#!/usr/bin/python3
"""deploy/mesh's generated Istio objects are current, and say what they should.

- istio/virtual-service.yaml and istio/authorization-policy.yaml are what their
  generators make now (from proto/ and example-wxgate.yaml);
- the VirtualService retries exactly the RPCs marked NO_SIDE_EFFECTS, none of them
  named like a write, and the last route retries nothing;
- each method pattern of the gateway and the Istio path it becomes match the same
  gRPC paths, over every method the gateway serves.
"""
import pathlib
import subprocess
import sys
import unittest

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
MESH = ROOT / "deploy" / "mesh"
sys.path.insert(0, str(MESH))
import generate_authorization  # noqa: E402
import rpc_methods  # noqa: E402

METHODS = rpc_methods.methods()
# Names no read starts with: a retried one would be a write sent twice.
WRITE_PREFIXES = ("Create", "Send", "Delete", "Update", "Add", "Upload", "Mass", "Set", "Submit",
                  "Consume", "Activate", "Unactivate", "Apply", "Bind", "Unbind", "Clear",
                  "Refund", "Remove", "Modify", "Insert", "Import", "Register", "Invalidate",
                  "Generate", "Exchange", "Refresh", "Confirm", "Recharge", "Cancel", "Close",
                  "Open", "Publish", "Reply", "Subscribe", "Mock", "Notify", "Deposit", "Mark",
                  "Preview", "Rebind", "Compel", "Push", "Elect", "Unelect", "Make", "Reject",
                  "Invite", "Authorize", "Micropay", "Clean", "Change", "Checkin", "Call")
READ_PREFIXES = ("Get", "List", "Query", "BatchGet", "Search", "Download", "Count", "Check",
                 "Verify", "Fetch", "TryMatch", "Decrypt", "Scan", "Build", "Sign", "TokenStatus")
# Served by the gateway besides the protos' services.
EXTRA_PATHS = ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
               "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"]


def run(*args: str) -> str:
    return subprocess.run([sys.executable, *args], check=True, capture_output=True,
                          text=True).stdout


def gateway_allows(pattern: str, method: str) -> bool:
    """The gateway's rule (auth/caller_authorizer.cc), on "pkg.Service/Method"."""
    if pattern == "*":
        return True
    if pattern.endswith("/*") or pattern.endswith(".*"):
        return method.startswith(pattern[:-1])
    return pattern == method


def istio_matches(path_pattern: str, path: str) -> bool:
    """Istio's string match for AuthorizationPolicy paths: exact, "*" for any value,
    "x*" a prefix, "*x" a suffix."""
    if path_pattern == "*":
        return path != ""
    if path_pattern.endswith("*"):
        return path.startswith(path_pattern[:-1])
    if path_pattern.startswith("*"):
        return path.endswith(path_pattern[1:])
    return path == path_pattern


class GeneratedFilesAreCurrent(unittest.TestCase):
    def test_virtual_service(self):
        fresh = run(str(MESH / "generate_retry_routes.py"), "--out", "-")
        committed = (MESH / "istio" / "virtual-service.yaml").read_text()
        self.assertEqual(committed, fresh, "run deploy/mesh/generate_retry_routes.py and commit")

    def test_authorization_policy(self):
        fresh = run(str(MESH / "generate_authorization.py"), str(MESH / "example-wxgate.yaml"),
                    "--out", "-")
        committed = (MESH / "istio" / "authorization-policy.yaml").read_text()
        self.assertEqual(committed, fresh,
                         "run deploy/mesh/generate_authorization.py deploy/mesh/example-wxgate.yaml")


class RetriesOnlyReads(unittest.TestCase):
    routes = yaml.safe_load((MESH / "istio" / "virtual-service.yaml").read_text())["spec"]["http"]

    def retried(self) -> set:
        paths = set()
        for route in self.routes[:-1]:
            self.assertGreater(route["retries"]["attempts"], 0, route["name"])
            for match in route["match"]:
                self.assertEqual(list(match), ["uri"], route["name"])
                self.assertEqual(list(match["uri"]), ["exact"], route["name"])
                paths.add(match["uri"]["exact"])
        return paths

    def test_exactly_the_marked_methods(self):
        reads = {m.path for m in METHODS if m.reads_only}
        self.assertEqual(self.retried(), reads)
        # The file's header counts every RPC, so even a new RPC left unmarked (never
        # retried) changes the file: the test above then asks for a decision.
        header = f"retries the {len(reads)} RPCs (of {len(METHODS)})"
        self.assertIn(header, (MESH / "istio" / "virtual-service.yaml").read_text())

    def test_no_write_is_retried(self):
        for path in self.retried():
            name = path.rsplit("/", 1)[1]
            self.assertFalse(name.startswith(WRITE_PREFIXES), path)
            self.assertTrue(name.startswith(READ_PREFIXES), f"{path}: not named like a read")
        for path in ("/wxgate.v1.EventService/Subscribe", "/wxgate.v1.EventService/Reply",
                     "/wxgate.v1.RawService/Call", "/wxgate.v1.TokenService/InvalidateToken",
                     "/wechat.mp.v1.MassService/SendMassByTag", "/wechat.mp.v1.TagService/CreateTag"):
            self.assertNotIn(path, self.retried())

    def test_last_route_catches_all_without_retries(self):
        last = self.routes[-1]
        self.assertNotIn("match", last)
        self.assertEqual(last["retries"], {"attempts": 0})
        self.assertEqual(len({r["name"] for r in self.routes}), len(self.routes))


class IstioPathsMatchTheGatewayPatterns(unittest.TestCase):
    def patterns(self) -> list:
        config = yaml.safe_load((MESH / "example-wxgate.yaml").read_text())
        from_config = [m for c in config["access"]["callers"] for m in c["policy"]["methods"]]
        return from_config + ["*", "wechat.*", "wechat.mp.v1.*", "wxgate.*", "wxgate.v1.*",
                              "wechat.mp.v1.MaterialService/*", "grpc.health.v1.Health/*",
                              "wxgate.v1.EventService/Subscribe", "wechat.mp.v1.UserService/Nope"]

    def test_same_methods(self):
        paths = [m.path for m in METHODS] + EXTRA_PATHS
        for pattern in self.patterns():
            istio = generate_authorization.istio_path(pattern)
            stars = istio.count("*")
            self.assertTrue(stars == 0 or (stars == 1 and (istio[0] == "*" or istio[-1] == "*")),
                            istio)
            gateway = {p for p in paths if gateway_allows(pattern, p[1:])}
            mesh = {p for p in paths if istio_matches(istio, p)}
            self.assertEqual(gateway, mesh, f"{pattern} -> {istio}")
        # The patterns above reach every kind of answer: all, some, one, none.
        counts = {len([p for p in paths if gateway_allows(x, p[1:])]) for x in self.patterns()}
        self.assertTrue({0, 1, len(paths)} <= counts, counts)

    def test_principals(self):
        self.assertEqual(generate_authorization.principal("spiffe://td/ns/a/sa/b"), "td/ns/a/sa/b")
        self.assertIsNone(generate_authorization.principal("shop.example.org"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
