"""The gateway's gRPC methods, read from proto/ through protoc's descriptor set.

Shared by the generators in this folder and their tests, so that all of them see the
same list: every method of every service under proto/ (WeChat's and wxgate's own),
as its gRPC path, with whether it is marked `idempotency_level = NO_SIDE_EFFECTS`.
"""
import pathlib
import subprocess
import tempfile
from typing import NamedTuple

from google.protobuf import descriptor_pb2

PROTO_DIR = pathlib.Path(__file__).resolve().parents[2] / "proto"


class Method(NamedTuple):
    path: str            # "/wechat.mp.v1.UserService/GetUserInfo"
    reads_only: bool     # idempotency_level = NO_SIDE_EFFECTS
    streaming: bool      # client or server streaming

    @property
    def service(self) -> str:
        return self.path[1:].split("/")[0]

    @property
    def name(self) -> str:
        return self.path.split("/")[-1]


def descriptor_set(proto_dir: pathlib.Path = PROTO_DIR) -> descriptor_pb2.FileDescriptorSet:
    files = sorted(str(p.relative_to(proto_dir)) for p in proto_dir.rglob("*.proto"))
    with tempfile.NamedTemporaryFile(suffix=".binpb") as out:
        subprocess.run(["protoc", "-I", str(proto_dir), "--include_imports",
                        f"--descriptor_set_out={out.name}", *files], check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(pathlib.Path(out.name).read_bytes())
    return fds


def methods(proto_dir: pathlib.Path = PROTO_DIR) -> list[Method]:
    no_side_effects = descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS
    found = []
    for file in descriptor_set(proto_dir).file:
        for service in file.service:
            for m in service.method:
                found.append(Method(
                    path=f"/{file.package}.{service.name}/{m.name}",
                    reads_only=m.options.idempotency_level == no_side_effects,
                    streaming=m.client_streaming or m.server_streaming))
    return sorted(found)
