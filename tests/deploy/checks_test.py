"""What must hold between the objects of each rendering (plain manifests, Helm
chart with its default and example values) and the wxgate.yaml they carry:
probes on the gRPC port of server.grpc_listen, a grace period longer than the
preStop sleep plus the drain, Services that reach the right ports, every secret
file wxgate.yaml names mounted from a Secret, the pod's security settings, and
WeChat's public path being the only one exposed.

    checks_test.py --helm H --chart C --manifests M
"""
import os
import re
import unittest

import manifests

ARGS = None
CALLBACK_PREFIX = "/wechat/callback/"
DEFAULT_DRAIN_SECONDS = 20  # the gateway's default server.drain_timeout


def seconds(duration):
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"not whole seconds: {duration}"
    return int(match.group(1))


def container_port(container, name_or_number):
    for port in container["ports"]:
        if name_or_number in (port["name"], port["containerPort"]):
            return port["containerPort"]
    raise AssertionError(f"no container port {name_or_number}")


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


class ChecksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.renderings = manifests.renderings(ARGS)

    def each(self):
        for r in self.renderings:
            with self.subTest(rendering=r.name):
                yield r

    def test_config_is_mounted_where_the_container_reads_it(self):
        for r in self.each():
            container = r.container()
            self.assertEqual(["--config", "/etc/wxgate/wxgate.yaml"], container["args"])
            self.assertNotIn("command", container)  # the image's entrypoint, /usr/bin/wxgate
            pod = r.one("Deployment")["spec"]["template"]["spec"]
            mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/etc/wxgate")
            volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
            self.assertEqual(r.one("ConfigMap")["metadata"]["name"], volume["configMap"]["name"])

    def test_probes_check_the_grpc_port_of_grpc_listen(self):
        for r in self.each():
            config, container = r.config(), r.container()
            grpc = manifests.port_of(config["server"]["grpc_listen"])
            self.assertEqual(grpc, container_port(container, "grpc"))
            # The kubelet's gRPC probe is plaintext: on the gRPC port where the
            # gateway serves plaintext (behind the mesh), else on health_listen.
            if "tls" in config["server"]:
                port = manifests.port_of(config["server"]["health_listen"])
                self.assertEqual(port, container_port(container, "health"))
            else:
                self.assertTrue(config["server"].get("plaintext"))
                port = grpc
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                self.assertEqual({"port": port}, container[probe]["grpc"])
                self.assertNotIn("exec", container[probe])  # the image has no shell

    def test_grace_period_outlasts_the_prestop_sleep_and_the_drain(self):
        for r in self.each():
            pod = r.one("Deployment")["spec"]["template"]["spec"]
            drain = seconds(r.config()["server"].get("drain_timeout",
                                                     f"{DEFAULT_DRAIN_SECONDS}s"))
            pre_stop = r.container()["lifecycle"]["preStop"]
            self.assertEqual(["sleep"], list(pre_stop))  # no exec: no shell in the image
            self.assertGreater(pod["terminationGracePeriodSeconds"],
                               drain + pre_stop["sleep"]["seconds"])

    def test_drain_timeout_set_in_values_reaches_config_and_grace_period(self):
        r = manifests.Rendering("helm-drain", manifests.helm_template(
            ARGS.helm, ARGS.chart, "--set", "drain.timeoutSeconds=40"))
        self.assertEqual("40s", r.config()["server"]["drain_timeout"])
        self.assertEqual(5 + 40 + 5,
                         r.one("Deployment")["spec"]["template"]["spec"][
                             "terminationGracePeriodSeconds"])

    def test_services_reach_the_listeners(self):
        for r in self.each():
            config, container = r.config(), r.container()
            labels = r.one("Deployment")["spec"]["template"]["metadata"]["labels"]
            by_port_name = {s["spec"]["ports"][0]["name"]: s for s in r.all("Service")}
            self.assertEqual({"grpc", "http"}, set(by_port_name))
            for name, listen, protocol in (("grpc", "grpc_listen", "grpc"),
                                           ("http", "callback_listen", "http")):
                service = by_port_name[name]
                self.assertTrue(selects(service["spec"]["selector"], labels))
                (port,) = service["spec"]["ports"]
                self.assertEqual(protocol, port["appProtocol"])
                self.assertEqual(manifests.port_of(config["server"][listen]),
                                 container_port(container, port["targetPort"]))

    def test_every_secret_file_in_the_config_is_mounted_from_a_secret(self):
        for r in self.each():
            pod = r.one("Deployment")["spec"]["template"]["spec"]
            mounted = manifests.mounted_secret_files(pod, r.container())
            named = manifests.secret_files(r.config())
            for field, path in named:
                self.assertIn(path, mounted, f"{field}: {path} is not mounted")
            # ... and nothing more is mounted than the configuration reads.
            self.assertEqual(sorted(mounted), sorted(p for _, p in named))
            self.assertNotIn("env", r.container())  # no secret in the environment

    def test_plain_manifests_mount_the_documented_secrets(self):
        plain = self.renderings[0]
        pod = plain.one("Deployment")["spec"]["template"]["spec"]
        self.assertEqual({("wxgate-main", "secret"), ("wxgate-main", "callback-token"),
                          ("wxgate-main", "encoding-aes-key"), ("wxgate-redis", "password")},
                         set(manifests.mounted_secret_files(pod, plain.container()).values()))

    def test_pods_run_locked_down(self):
        for r in self.each():
            pod = r.one("Deployment")["spec"]["template"]["spec"]
            sc = pod["securityContext"]
            self.assertEqual((True, 65532, "RuntimeDefault"),
                             (sc["runAsNonRoot"], sc["runAsUser"], sc["seccompProfile"]["type"]))
            csc = r.container()["securityContext"]
            self.assertEqual((False, True, ["ALL"]),
                             (csc["allowPrivilegeEscalation"], csc["readOnlyRootFilesystem"],
                              csc["capabilities"]["drop"]))
            self.assertFalse(pod["automountServiceAccountToken"])
            self.assertNotIn("emptyDir", str(pod["volumes"]))  # the gateway writes nothing
            self.assertIn("memory", r.container()["resources"]["limits"])
            self.assertIn("cpu", r.container()["resources"]["requests"])

    def test_replicas_spread_and_are_kept(self):
        for r in self.each():
            deployment = r.one("Deployment")
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            hpa = r.one("HorizontalPodAutoscaler")["spec"]
            self.assertEqual(deployment["metadata"]["name"], hpa["scaleTargetRef"]["name"])
            self.assertGreaterEqual(hpa["minReplicas"], 3)
            if "replicas" in deployment["spec"]:
                self.assertEqual(3, deployment["spec"]["replicas"])
            self.assertIn("redis", r.config()["store"])  # replicas share their state
            spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
            self.assertEqual({"topology.kubernetes.io/zone", "kubernetes.io/hostname"},
                             {c["topologyKey"] for c in spread})
            for c in spread:
                self.assertTrue(selects(c["labelSelector"]["matchLabels"], labels))
            pdb = r.one("PodDisruptionBudget")["spec"]
            self.assertTrue(selects(pdb["selector"]["matchLabels"], labels))
            self.assertEqual(1, pdb["maxUnavailable"])

    def test_network_policy_admits_clients_the_ingress_and_the_scraper_only(self):
        for r in self.each():
            spec = r.one("NetworkPolicy")["spec"]
            self.assertEqual(["Ingress"], spec["policyTypes"])
            rules = {rule["ports"][0]["port"]: rule["from"] for rule in spec["ingress"]}
            metrics = {"metrics"} if "admin_listen" in r.config()["server"] else set()
            self.assertEqual({"grpc", "callback"} | metrics, set(rules))
            self.assertEqual([{"namespaceSelector": {},
                               "podSelector": {"matchLabels": {"wxgate-client": "true"}}}],
                             rules["grpc"])
            (callback_from,) = rules["callback"]
            self.assertEqual(["namespaceSelector"], list(callback_from))
            self.assertTrue(callback_from["namespaceSelector"]["matchLabels"])

    def test_only_the_callback_path_is_public_over_tls(self):
        exposed = 0
        for r in self.each():
            callback = next(s for s in r.all("Service") if s["spec"]["ports"][0]["name"] == "http")
            for ingress in r.all("Ingress"):
                spec = ingress["spec"]
                (rule,) = spec["rules"]
                self.assertIn(rule["host"], spec["tls"][0]["hosts"])
                self.assertTrue(spec["tls"][0]["secretName"])
                (path,) = rule["http"]["paths"]
                self.assertEqual((CALLBACK_PREFIX, "Prefix"), (path["path"], path["pathType"]))
                self.assertEqual(callback["metadata"]["name"], path["backend"]["service"]["name"])
                exposed += 1
            for route in r.all("HTTPRoute"):
                (rule,) = route["spec"]["rules"]
                self.assertEqual([{"path": {"type": "PathPrefix", "value": CALLBACK_PREFIX}}],
                                 rule["matches"])
                self.assertEqual([{"name": callback["metadata"]["name"], "port": 80}],
                                 rule["backendRefs"])
                exposed += 1
        self.assertEqual(4, exposed)  # plain: both; helm-full: Ingress; helm-tls: HTTPRoute

    def test_scrapers_are_pointed_at_admin_listen_only_when_metrics_are_on(self):
        for r in self.each():
            server = r.config()["server"]
            annotations = r.one("Deployment")["spec"]["template"]["metadata"].get("annotations", {})
            if "admin_listen" not in server:
                self.assertNotIn("prometheus", str(r.objects).lower())
                self.assertNotIn("metrics", [p["name"] for p in r.container()["ports"]])
                continue
            port = manifests.port_of(server["admin_listen"])
            self.assertEqual(port, container_port(r.container(), "metrics"))
            self.assertEqual(str(port), annotations["prometheus.io/port"])
            self.assertEqual("/metrics", annotations["prometheus.io/path"])
            rules = r.one("NetworkPolicy")["spec"]["ingress"]
            self.assertIn({"port": "metrics", "protocol": "TCP"},
                          [p for rule in rules for p in rule["ports"]])

    def test_kustomization_lists_every_manifest(self):
        listed, examples = manifests.plain_files(ARGS.manifests)
        on_disk = sorted(n for n in os.listdir(ARGS.manifests)
                         if n.endswith(".yaml") and n != "kustomization.yaml")
        self.assertEqual(on_disk, sorted(listed))
        self.assertEqual(["gateway-api/httproute.yaml"], examples)


def main():
    global ARGS
    ARGS, argv = manifests.parse_args()
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
