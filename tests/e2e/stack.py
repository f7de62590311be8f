"""Starts the fake WeChat and a wxgate in front of it, as real processes on loopback.

    parser = argparse.ArgumentParser()
    stack.add_arguments(parser)       # --wxgate --fake-wechat --cert-dir --endpoints-dir
    args = parser.parse_args()
    with stack.running(args) as running:
        ...  # gRPC to running.target ("127.0.0.1:PORT"), for the account running.appid

What `running` does, in order, each step waiting on a condition (never a fixed sleep)
with a generous deadline:
  1. starts fake_wechat on a free port and waits for its --port-file;
  2. writes a gateway config (one account, secret from the environment variable
     WXGATE_E2E_SECRET, upstream = the fake, trusting the test CA) into a temp dir;
  3. starts wxgate on a free port and waits for its "serving" line, then for
     grpc.health.v1.Health/Check to answer SERVING;
  4. on exit, normal or not, stops both (SIGTERM, wait; SIGKILL if they linger) and
     removes the temp dir. If anything failed, both processes' output goes to stderr.
The processes also get SIGTERM if this Python process dies (setpriv --pdeathsig), so
a killed test leaves nothing behind.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import NamedTuple

APPID = "wx1111111111111111"
SECRET = "e2e-secret-0123456789abcdef0123456"
SECRET_ENV = "WXGATE_E2E_SECRET"
CALLBACK_TOKEN = "e2e-callback-token"
CALLBACK_TOKEN_ENV = "WXGATE_E2E_CALLBACK_TOKEN"
AES_KEY = "e2eAesKey0123456789abcdefghijklmnopqrstuvwx"  # 43 characters
AES_KEY_ENV = "WXGATE_E2E_AES_KEY"
ANYONE = 'anonymous: {appids: ["*"], methods: ["*"]}'

STARTUP_TIMEOUT = 90.0  # seconds; the machine may be loaded
STOP_TIMEOUT = 30.0
POLL_INTERVAL = 0.05

_SERVING = re.compile(r"wxgate serving gRPC on (\S+) \(port (\d+)\)")


class Stack(NamedTuple):
    target: str  # "127.0.0.1:PORT" of the gateway
    appid: str   # the gateway's only (and default) account
    callback_url: str  # where WeChat pushes the account's messages
    gateway: subprocess.Popen  # the wxgate process
    config: str  # its configuration file
    log: str     # everything it wrote to stdout and stderr
    fake_port: int  # the fake's HTTPS port, for further gateways (write_gateway_config)
    workdir: str    # the temp dir, removed at the end, for their configs and logs


def parse_args(doc, required=()):
    """A stack test's arguments: add_arguments', --stubs-dir and the `required` flags
    (e.g. "--image"); puts the generated Python modules on sys.path.

    Returns (args, argv for unittest.main)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--stubs-dir", required=True, help="the generated Python modules")
    for flag in required:
        parser.add_argument(flag, required=True)
    args, rest = parser.parse_known_args()
    sys.path.insert(0, args.stubs_dir)
    return args, [sys.argv[0]] + rest


def add_arguments(parser):
    """Adds the paths the stack needs; CMake passes them."""
    parser.add_argument("--wxgate", required=True, help="the gateway binary")
    parser.add_argument("--fake-wechat", required=True, help="the fake_wechat binary")
    parser.add_argument("--cert-dir", required=True, help="ca.pem, server.pem, server.key")
    parser.add_argument("--endpoints-dir", required=True, help="fake_wechat endpoint tables")


_handed_out = set()  # ports free_port gave this process


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago, never the same twice in
    one process: a test that picks several ports before it starts anything (a
    cluster's configs) would otherwise get one a second time."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_until(condition, timeout, what, process=None, log=None):
    """Polls `condition` until it returns a true value, which is returned.

    Fails early (RuntimeError) if `process` exits, and when `timeout` passes.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}"
                               + (f"; its output:\n{_read(log)}" if log else ""))
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not after {timeout:.0f} s")
        time.sleep(POLL_INTERVAL)


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _start(argv, log_path, env=None):
    """Starts argv with stdout+stderr into log_path; it dies with this process."""
    setpriv = shutil.which("setpriv")
    if setpriv:
        argv = [setpriv, "--pdeathsig", "TERM", "--"] + argv
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env)


def _stop(process):
    """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT. Returns the code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def health_serving(target, timeout, credentials=None):
    """True once grpc.health.v1.Health/Check answers SERVING for the whole server.

    credentials: grpc.ChannelCredentials for a TLS listener; None: plaintext.
    """
    import grpc  # only here, so that users without grpcio can still import the rest

    # HealthCheckRequest{service: ""} is empty on the wire; SERVING is field 1 = 1.
    identity = lambda b: b  # noqa: E731
    channel = (grpc.insecure_channel(target) if credentials is None
               else grpc.secure_channel(target, credentials))
    with channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=identity,
                                    response_deserializer=identity)
        answer = check(b"", timeout=timeout, wait_for_ready=True)
    return answer == b"\x08\x01"


def start_fake(args, workdir, fake_args=()):
    """Starts fake_wechat (output in workdir/fake_wechat.log); returns (process, port).

    fake_args: more flags, e.g. ("--token-lifetime-s", "20")."""
    log = os.path.join(workdir, "fake_wechat.log")
    port_file = os.path.join(workdir, "fake.port")
    fake = _start([args.fake_wechat,
                   "--cert", os.path.join(args.cert_dir, "server.pem"),
                   "--key", os.path.join(args.cert_dir, "server.key"),
                   "--port", "0", "--port-file", port_file,
                   "--endpoints", args.endpoints_dir,
                   "--account", f"{APPID}:{SECRET}", *fake_args], log)
    try:
        port = int(wait_until(lambda: _read(port_file).strip(), STARTUP_TIMEOUT,
                              "fake_wechat writing its port file", fake, log))
    except BaseException:
        _stop(fake)
        raise
    return fake, port


def fake_request(args, fake_port, path, body=None):
    """A request to the fake WeChat's control paths (/fake/stats, /fake/latency, …)."""
    tls = ssl.create_default_context(cafile=os.path.join(args.cert_dir, "ca.pem"))
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"https://127.0.0.1:{fake_port}{path}", data=data)
    with urllib.request.urlopen(request, context=tls, timeout=30) as answer:
        return json.load(answer)


class Gateway(NamedTuple):
    target: str         # "127.0.0.1:PORT"
    callback_url: str   # where WeChat pushes the account's messages
    process: subprocess.Popen
    config: str
    log: str


def write_gateway_config(args, workdir, name, fake_port, callback_mode="plain", access=ANYONE,
                         max_connections=256, extra="", server_extra="", account=True):
    """Writes workdir/<name>.yaml for a gateway on fresh ports; returns (config, ports).

    callback_mode and access as for running(); max_connections: upstream connections
    per host; extra: YAML sections appended at the end; server_extra: YAML lines
    appended to the server section, each indented by two spaces and ending in a
    newline (e.g. its tls); account: False leaves out the account APPID (a gateway
    serving only third-party platforms).
    """
    grpc_port, callback_port = free_port(), free_port()
    config = os.path.join(workdir, f"{name}.yaml")
    aes_key = f"\n      encoding_aes_key: {{env: {AES_KEY_ENV}}}" if callback_mode != "plain" else ""
    accounts = f"""accounts:
  - appid: {APPID}
    secret: {{env: {SECRET_ENV}}}
    callback:
      token: {{env: {CALLBACK_TOKEN_ENV}}}
      reply_window: 4s
      mode: {callback_mode}{aes_key}
""" if account else ""
    with open(config, "w", encoding="utf-8") as f:
        f.write(f"""\
server:
  grpc_listen: "127.0.0.1:{grpc_port}"
  callback_listen: "127.0.0.1:{callback_port}"
{server_extra}upstream:
  base_url: "https://127.0.0.1:{fake_port}"
  ca_file: "{os.path.join(args.cert_dir, 'ca.pem')}"
  timeout: 20s
  max_connections: {max_connections}
  host_base_urls: {{mp.weixin.qq.com: "https://127.0.0.1:{fake_port}"}}
{accounts}access:
  {access}
{extra}""")
    return config, (grpc_port, callback_port)


def start_gateway(args, config, ports, log, credentials=None):
    """Starts wxgate on `config` and waits until it serves; returns a Gateway.

    credentials: the grpc.ChannelCredentials its health check needs when it serves
    TLS (with a client certificate if it requires one); None: plaintext.
    """
    grpc_port, callback_port = ports
    env = dict(os.environ, **{SECRET_ENV: SECRET, CALLBACK_TOKEN_ENV: CALLBACK_TOKEN,
                              AES_KEY_ENV: AES_KEY})
    gateway = _start([args.wxgate, "--config", config], log, env=env)
    try:
        banner = wait_until(lambda: _SERVING.search(_read(log)), STARTUP_TIMEOUT,
                            "wxgate announcing that it serves", gateway, log)
        if int(banner.group(2)) != grpc_port:
            raise RuntimeError(f"wxgate serves on port {banner.group(2)}, not {grpc_port}")
        target = f"127.0.0.1:{grpc_port}"
        if not health_serving(target, STARTUP_TIMEOUT, credentials):
            raise RuntimeError("wxgate's health check does not answer SERVING")
    except BaseException:
        _stop(gateway)
        raise
    return Gateway(target, f"http://127.0.0.1:{callback_port}/wechat/callback/{APPID}",
                   gateway, config, log)


def report(logs, failed, codes):
    """Prints the logs when something failed; raises if a process did not stop cleanly."""
    # 0 is a clean stop on SIGTERM; -15 means it died before installing its handler.
    unclean = any(code not in (0, -signal.SIGTERM) for code in codes)
    if failed or unclean:
        for name, path in logs:
            print(f"----- {name} output -----\n{_read(path)}", file=sys.stderr)
    if unclean and not failed:
        raise RuntimeError(f"a process did not stop cleanly: exit codes {codes}")


@contextlib.contextmanager
def running(args, callback_mode="plain", access=ANYONE, server_extra="", extra="",
            fake_args=()):
    """Runs fake_wechat and wxgate for the duration of the block; yields a Stack.

    callback_mode: the account's (plain, compatible or safe, with AES_KEY);
    access: the YAML of the access section's body (default: anyone may call);
    server_extra, extra: as for write_gateway_config; fake_args: as for start_fake.
    """
    workdir = tempfile.mkdtemp(prefix="wxgate-e2e-")
    fake_log = os.path.join(workdir, "fake_wechat.log")
    gateway_log = os.path.join(workdir, "wxgate.log")
    processes = []
    failed = True
    try:
        fake, fake_port = start_fake(args, workdir, fake_args)
        processes.append(fake)
        config, ports = write_gateway_config(args, workdir, "wxgate", fake_port, callback_mode,
                                             access, extra=extra, server_extra=server_extra)
        gateway = start_gateway(args, config, ports, gateway_log)
        processes.append(gateway.process)
        yield Stack(gateway.target, APPID, gateway.callback_url, gateway.process, config,
                    gateway_log, fake_port, workdir)
        failed = False
    finally:
        codes = [_stop(p) for p in reversed(processes)]  # the gateway first
        try:
            report((("fake_wechat", fake_log), ("wxgate", gateway_log)), failed, codes)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
