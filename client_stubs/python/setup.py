"""Generates the stubs into the build while setuptools builds the package.

protoc (the system's, 3.21 on Debian 12) and grpc_python_plugin (Debian's
protobuf-compiler-grpc) are found on PATH, or named by the environment variables
WXGATE_PROTOC and WXGATE_GRPC_PYTHON_PLUGIN. grpcio-tools is not used: Debian's
bundles protoc 3.5, which rejects proto3 `optional`, and PyPI's emits code that
requires its own protobuf version.
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))


def served_protos():
    """Every .proto under proto/ but the configuration schema, relative to it."""
    found = []
    for directory, _, files in os.walk(PROTO_ROOT):
        for name in files:
            rel = os.path.relpath(os.path.join(directory, name), PROTO_ROOT)
            if name.endswith(".proto") and not rel.startswith("wxgate/config/"):
                found.append(rel)
    return sorted(found)


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        protoc = os.environ.get("WXGATE_PROTOC") or shutil.which("protoc")
        plugin = os.environ.get("WXGATE_GRPC_PYTHON_PLUGIN") or shutil.which("grpc_python_plugin")
        if not protoc or not plugin:
            raise SystemExit("wxgate-client: protoc and grpc_python_plugin are needed "
                             "(Debian: protobuf-compiler protobuf-compiler-grpc)")
        out = os.path.abspath(self.build_lib)
        subprocess.check_call([protoc, "-I", PROTO_ROOT, f"--python_out={out}",
                               f"--grpc_out={out}",
                               f"--plugin=protoc-gen-grpc={plugin}", *served_protos()],
                              cwd=PROTO_ROOT)


setup(cmdclass={"build_py": BuildWithStubs})
