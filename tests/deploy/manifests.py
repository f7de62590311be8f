"""The Kubernetes objects under test, read the same way by every test here.

A rendering is one way of deploying the gateway: the plain manifests of
deploy/kubernetes, or the Helm chart rendered with one values file. Each test
takes every rendering through the same checks.

    renderings(args) -> [Rendering("plain", objects), Rendering("helm-default", ...), ...]
    rendering.one("Deployment"), rendering.config()  # the parsed wxgate.yaml
"""
import argparse
import os
import subprocess
import sys
from dataclasses import dataclass

import yaml

# The Kubernetes version the chart is rendered for: the oldest it supports.
KUBE_VERSION = "1.30.0"
# Helm's values files under test, besides the chart's defaults.
EXAMPLE_VALUES = ("full-values.yaml", "tls-values.yaml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--helm", required=True)
    parser.add_argument("--chart", required=True, help="deploy/helm/wxgate")
    parser.add_argument("--manifests", required=True, help="deploy/kubernetes")


def parse_args(required=()):
    """A deployment test's arguments: add_arguments' and the `required` flags.

    Returns (args, argv for unittest.main)."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    for flag in required:
        parser.add_argument(flag, required=True)
    args, rest = parser.parse_known_args()
    return args, [sys.argv[0]] + rest


@dataclass
class Rendering:
    name: str
    objects: list

    def all(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind):
        found = self.all(kind)
        assert len(found) == 1, f"{self.name}: {len(found)} objects of kind {kind}"
        return found[0]

    def config(self):
        """wxgate.yaml, from the ConfigMap the Deployment mounts."""
        return yaml.safe_load(self.one("ConfigMap")["data"]["wxgate.yaml"])

    def container(self):
        return self.one("Deployment")["spec"]["template"]["spec"]["containers"][0]


def load_documents(text):
    return [d for d in yaml.safe_load_all(text) if d]


def helm_template(helm, chart, *args):
    """The objects `helm template` renders; raises CalledProcessError on failure."""
    out = subprocess.run([helm, "template", "wxgate", chart, "--kube-version", KUBE_VERSION,
                          *args], check=True, capture_output=True, text=True)
    return load_documents(out.stdout)


def plain_files(manifests):
    """The files kustomization.yaml lists, then the examples beside them."""
    with open(os.path.join(manifests, "kustomization.yaml")) as f:
        listed = yaml.safe_load(f)["resources"]
    examples = sorted(os.path.join("gateway-api", n)
                      for n in os.listdir(os.path.join(manifests, "gateway-api")))
    return listed, examples


def plain_objects(manifests):
    listed, examples = plain_files(manifests)
    objects = []
    for name in listed + examples:
        with open(os.path.join(manifests, name)) as f:
            objects += load_documents(f.read())
    return objects


def renderings(args):
    found = [Rendering("plain", plain_objects(args.manifests)),
             Rendering("helm-default", helm_template(args.helm, args.chart))]
    for values in EXAMPLE_VALUES:
        path = os.path.join(args.chart, "examples", values)
        name = "helm-" + values.removesuffix("-values.yaml")
        found.append(Rendering(name, helm_template(args.helm, args.chart, "-f", path)))
    return found


def port_of(listen):
    return int(listen.rsplit(":", 1)[1])


def secret_files(config):
    """Every file wxgate.yaml reads, as (field, path)."""
    found = []

    def walk(node, field):
        if isinstance(node, dict):
            for key, value in node.items():
                name = f"{field}.{key}" if field else key
                if key == "file" or key.endswith("_file"):
                    found.append((name, value))
                else:
                    walk(value, name)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{field}[{i}]")

    walk(config, "")
    return found


def mounted_secret_files(pod, container):
    """The files the container sees from Secrets: path -> (Secret, key)."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    files = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        sources = ([s["secret"] for s in volume["projected"]["sources"] if "secret" in s]
                   if "projected" in volume else
                   [dict(volume["secret"], name=volume["secret"]["secretName"])]
                   if "secret" in volume else [])
        for secret in sources:
            for item in secret["items"]:
                files[os.path.join(mount["mountPath"], item["path"])] = (secret["name"], item["key"])
    return files
