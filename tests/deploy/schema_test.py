"""Every object of deploy/kubernetes and of the Helm chart's renderings is valid
against Kubernetes' strict JSON schemas (no unknown field) of the oldest version
the chart supports and of the newest the schemas package has, both named below;
HTTPRoutes against the Gateway API CRD's own schema, from the pinned Go module.

Runs under the virtual environment of tests/deploy/requirements.txt (made by
wxgate.sh), which has the schemas; nothing is fetched here.

    schema_test.py --helm H --chart C --manifests M --go GO --gateway-api-version V
"""
import copy
import json
import os
import subprocess
import sys
import unittest

import jsonschema
import kubernetes_validate
import yaml

import manifests

# The oldest Kubernetes the manifests target (the preStop sleep action) and the
# newest that kubernetes-validate 1.37.0 ships schemas for.
KUBE_VERSIONS = ("1.30.0", "1.37.0")

ARGS = None


def gateway_api_crd(go, version, plural):
    """The CRD of `plural` in the Go module sigs.k8s.io/gateway-api@version,
    from Go's module cache only (GOPROXY=off: no network here)."""
    env = dict(os.environ, GOPROXY="off", GOFLAGS="-mod=mod")
    out = subprocess.run([go, "mod", "download", "-json", f"sigs.k8s.io/gateway-api@{version}"],
                         env=env, capture_output=True, text=True, cwd="/")
    info = json.loads(out.stdout or "{}")
    if out.returncode != 0 or "Dir" not in info:
        sys.exit(f"sigs.k8s.io/gateway-api@{version} is not in Go's module cache "
                 f"({info.get('Error', out.stderr.strip())}): run ./wxgate.sh test once, or "
                 f"go mod download sigs.k8s.io/gateway-api@{version}")
    path = os.path.join(info["Dir"], "config", "crd", "standard",
                        f"gateway.networking.k8s.io_{plural}.yaml")
    with open(path) as f:
        return yaml.safe_load(f)


def strict(schema):
    """An OpenAPI schema of a CRD, made to refuse unknown fields as the API server
    does on a strict apply, except where the CRD keeps unknown fields."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def crd_validator(crd, served_version):
    version = next(v for v in crd["spec"]["versions"] if v["name"] == served_version)
    # OpenAPI 3.0's schema keywords are those of JSON Schema draft 4.
    return jsonschema.Draft4Validator(strict(version["schema"]["openAPIV3Schema"]))


def kubernetes_errors(obj, version):
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        return f"{'.'.join(map(str, e.path))}: {e.message}"
    return None


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.renderings = manifests.renderings(ARGS)
        crd = gateway_api_crd(ARGS.go, ARGS.gateway_api_version, "httproutes")
        cls.httproute = crd_validator(crd, "v1")

    def test_every_object_is_valid_for_each_kubernetes_version(self):
        kinds = set()
        for r in self.renderings:
            for obj in r.objects:
                if obj["apiVersion"].startswith("gateway.networking.k8s.io/"):
                    continue
                for version in KUBE_VERSIONS:
                    with self.subTest(rendering=r.name, kind=obj["kind"], version=version):
                        self.assertIsNone(kubernetes_errors(obj, version))
                kinds.add(obj["kind"])
        self.assertEqual({"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress",
                          "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"},
                         kinds)

    def test_httproutes_are_valid_for_the_gateway_api_crd(self):
        routes = [(r.name, o) for r in self.renderings for o in r.all("HTTPRoute")]
        self.assertEqual({"plain", "helm-tls"}, {name for name, _ in routes})
        for name, route in routes:
            with self.subTest(rendering=name):
                self.assertEqual("gateway.networking.k8s.io/v1", route["apiVersion"])
                errors = [e.message for e in self.httproute.iter_errors(route)]
                self.assertEqual([], errors)

    def test_the_validators_refuse_what_kubernetes_refuses(self):
        """Guards the two checks above against passing everything."""
        plain = self.renderings[0]
        deployment = copy.deepcopy(plain.one("Deployment"))
        deployment["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["preStop"] = {
            "sleep": {"seconds": 5}, "shell": "sleep 5"}
        replicas = copy.deepcopy(plain.one("Deployment"))
        replicas["spec"]["replicas"] = "three"
        for obj in (deployment, replicas):
            for version in KUBE_VERSIONS:
                self.assertIsNotNone(kubernetes_errors(obj, version))
        # The gRPC probe's `mode` (TLS) exists from 1.37 only.
        probe = copy.deepcopy(plain.one("Deployment"))
        probe["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpc"]["mode"] = "TLS"
        self.assertIsNotNone(kubernetes_errors(probe, "1.30.0"))
        self.assertIsNone(kubernetes_errors(probe, "1.37.0"))
        route = copy.deepcopy(plain.one("HTTPRoute"))
        route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Glob"
        self.assertTrue(list(self.httproute.iter_errors(route)))
        route = copy.deepcopy(plain.one("HTTPRoute"))
        route["spec"]["rules"][0]["backendRefs"][0]["servicePort"] = 80
        self.assertTrue(list(self.httproute.iter_errors(route)))


def main():
    global ARGS
    ARGS, argv = manifests.parse_args(["--go", "--gateway-api-version"])
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
