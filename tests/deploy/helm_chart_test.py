"""`helm lint --strict` passes on the chart with its default values and with each
example values file; `helm template` renders them, and refuses values that would
make a broken deployment, naming the value at fault.

    helm_chart_test.py --helm H --chart C --manifests M
"""
import os
import subprocess
import unittest

import manifests

ARGS = None


def helm(*args):
    return subprocess.run([ARGS.helm, *args], capture_output=True, text=True)


class HelmChartTest(unittest.TestCase):
    def values_files(self):
        return [None] + [os.path.join(ARGS.chart, "examples", v) for v in manifests.EXAMPLE_VALUES]

    def test_lint_is_clean(self):
        for values in self.values_files():
            with self.subTest(values=values or "defaults"):
                extra = ["-f", values] if values else []
                out = helm("lint", "--strict", "--kube-version", manifests.KUBE_VERSION,
                           ARGS.chart, *extra)
                self.assertEqual(0, out.returncode, out.stdout + out.stderr)
                self.assertIn("1 chart(s) linted, 0 chart(s) failed", out.stdout)

    def test_template_renders_each_values_file(self):
        kinds = {}
        for r in manifests.renderings(ARGS)[1:]:
            kinds[r.name] = sorted(o["kind"] for o in r.objects)
        common = ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy",
                  "PodDisruptionBudget", "Service", "Service", "ServiceAccount"]
        self.assertEqual({"helm-default": common,
                          "helm-full": sorted(common + ["Ingress"]),
                          "helm-tls": sorted(common + ["HTTPRoute"])}, kinds)

    def test_refuses_kubernetes_older_than_1_30(self):
        # The preStop sleep action needs 1.30.
        out = helm("template", "wxgate", ARGS.chart, "--kube-version", "1.29.0")
        self.assertNotEqual(0, out.returncode)
        self.assertIn("kubeVersion", out.stderr)

    def test_refuses_broken_values_naming_them(self):
        cases = {
            "redis.address is required with more than one replica": ["--set", "redis.address="],
            "server.tls.existingSecret": ["--set", "server.mode=tls"],
            'server.mode: "plain"': ["--set", "server.mode=plain"],
            "accounts[0].secret needs secretName and key": [
                "--set", "accounts[0].appid=wx1111111111111111"],
            "accounts[0].callback.token": [
                "--set", "accounts[0].appid=wx1111111111111111",
                "--set", "accounts[0].secret.secretName=s,accounts[0].secret.key=k",
                "--set", "accounts[0].callback.mode=safe"],
            "ingress.tlsSecretName": ["--set", "ingress.enabled=true,ingress.tlsSecretName="],
            "httpRoute.parentRefs": ["--set", "httpRoute.enabled=true"],
        }
        for message, args in cases.items():
            with self.subTest(message=message):
                out = helm("template", "wxgate", ARGS.chart, "--kube-version",
                           manifests.KUBE_VERSION, *args)
                self.assertNotEqual(0, out.returncode, out.stdout)
                self.assertIn(message, out.stderr)

    def test_one_replica_may_go_without_redis(self):
        r = manifests.Rendering("one", manifests.helm_template(
            ARGS.helm, ARGS.chart, "--set",
            "redis.address=,replicaCount=1,autoscaling.enabled=false,podDisruptionBudget.enabled=false"))
        self.assertNotIn("store", r.config())
        self.assertEqual(1, r.one("Deployment")["spec"]["replicas"])
        self.assertEqual([], r.all("HorizontalPodAutoscaler") + r.all("PodDisruptionBudget"))


def main():
    global ARGS
    ARGS, argv = manifests.parse_args()
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
