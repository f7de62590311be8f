#!/usr/bin/python3
"""Safe-mode pushes, side by side in one run, on loopback:

  acked   the gateway (its own process, one safe-mode account), no subscriber:
          every push answered "success"
  reply   the gateway with a gRPC subscriber (push_replier) answering every push
          with a text passive reply, sealed (encrypted and signed) by the gateway
  webot   node-webot (npm `wechat`, one Node process) answering the same pushes
          with the same reply: the baseline

Each column gets a fresh server process and its own freshly signed, distinct pushes
(push_load), sent by `--concurrency` keep-alive connections. Figures: pushes/s, the
server's CPU per push (/proc utime+stime), p50/p99 from sending a push to reading
its answer, and the server's peak RSS (VmHWM); then the ratios to node-webot.

  tests/bench/push_bench.py [--build build] [--pushes 40000] [--concurrency 16]
                            [--gateway path/to/wxgate]   (another build, for before/after)
                            [--callback_threads N]       (server.callback_threads)

Needs the gateway, push_load and push_replier built, and tests/tools' npm packages
(./wxgate.sh installs them).
"""
import argparse
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLY = "pong"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process.poll() is not None:
            sys.exit(f"push_bench: the {what} exited ({process.returncode})")
        time.sleep(0.05)
    sys.exit(f"push_bench: the {what} did not start in {timeout} s")


def log_has(path, text):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return text in f.read()
    except FileNotFoundError:
        return False


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Account:
    def __init__(self):
        self.appid = "wx" + secrets.token_hex(8)
        self.token = secrets.token_hex(8)
        self.aes_key = base64.b64encode(secrets.token_bytes(32)).decode()[:43]


def start_gateway(args, account, work, name):
    grpc_port, callback_port = free_port(), free_port()
    config = os.path.join(work, f"{name}.yaml")
    with open(config, "w") as f:
        threads = (f", callback_threads: {args.callback_threads}"
                   if args.callback_threads is not None else "")
        f.write(f"""server: {{grpc_listen: "127.0.0.1:{grpc_port}", callback_listen: "127.0.0.1:{callback_port}"{threads}}}
upstream: {{base_url: "https://127.0.0.1:9"}}  # never called
accounts:
  - appid: {account.appid}
    secret: {{env: BENCH_SECRET}}
    callback:
      token: {{env: BENCH_CALLBACK_TOKEN}}
      encoding_aes_key: {{env: BENCH_AES_KEY}}
      mode: CALLBACK_MODE_SAFE
access:
  anonymous: {{appids: ["*"], methods: ["*"]}}
""")
    log = os.path.join(work, f"{name}.log")
    env = dict(os.environ, BENCH_SECRET="bench-secret", BENCH_CALLBACK_TOKEN=account.token,
               BENCH_AES_KEY=account.aes_key)
    process = subprocess.Popen(
        [args.gateway, "--config", config],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)
    wait_for("gateway", lambda: log_has(log, "serving gRPC"), process)
    return process, grpc_port, callback_port, log


def load(args, account, port, path, pid, expect):
    command = [os.path.join(args.build, "tests/bench/push_load"), f"--port={port}",
               f"--path={path}", f"--appid={account.appid}", f"--token={account.token}",
               f"--aes_key={account.aes_key}", f"--expect={expect}", f"--reply_content={REPLY}",
               f"--server_pid={pid}", f"--pushes={args.pushes}", f"--warmup={args.warmup}",
               f"--concurrency={args.concurrency}"]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"push_bench: {' '.join(command)} failed ({result.returncode}): {result.stdout}")
    return json.loads(result.stdout)


def run_acked(args, work):
    account = Account()
    gateway, _, port, _ = start_gateway(args, account, work, "acked")
    try:
        return load(args, account, port, f"/wechat/callback/{account.appid}", gateway.pid,
                    "success")
    finally:
        stop(gateway)


def run_reply(args, work):
    account = Account()
    gateway, grpc_port, port, log = start_gateway(args, account, work, "reply")
    replier = subprocess.Popen(
        [os.path.join(args.build, "tests/bench/push_replier"), f"--target=127.0.0.1:{grpc_port}",
         f"--content={REPLY}"], stderr=open(os.path.join(work, "replier.log"), "w"))
    try:
        wait_for("subscriber", lambda: log_has(log, "events_subscribed"), replier)
        return load(args, account, port, f"/wechat/callback/{account.appid}", gateway.pid,
                    "reply")
    finally:
        stop(replier)
        stop(gateway)


def run_webot(args, work):
    account = Account()
    port_file = os.path.join(work, "webot.port")
    webot = subprocess.Popen(
        ["node", os.path.join(ROOT, "tests/bench/push_webot.js"), port_file, account.token,
         account.aes_key, account.appid, REPLY],
        stderr=open(os.path.join(work, "webot.log"), "w"))
    try:
        wait_for("node-webot server", lambda: os.path.exists(port_file) and
                 os.path.getsize(port_file) > 0, webot)
        with open(port_file) as f:
            port = int(f.read())
        return load(args, account, port, "/wechat", webot.pid, "reply")
    finally:
        stop(webot)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--pushes", type=int, default=40000)
    parser.add_argument("--warmup", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--gateway", help="the wxgate binary (default: the build's)")
    parser.add_argument("--callback_threads", type=int,
                        help="server.callback_threads (default: the gateway's, one per core)")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    args.gateway = os.path.abspath(args.gateway or
                                   os.path.join(args.build, "service/server/wxgate"))

    with tempfile.TemporaryDirectory(prefix="push_bench.") as work:
        results = {"acked": run_acked(args, work), "reply": run_reply(args, work),
                   "webot": run_webot(args, work)}
    rows = [("pushes/s", "pushes_per_s", "%.0f"), ("CPU µs/push", "cpu_us_per_push", "%.1f"),
            ("p50 ms", "p50_ms", "%.3f"), ("p99 ms", "p99_ms", "%.3f"),
            ("peak RSS MiB", "peak_rss_mib", "%.1f")]
    print(f"safe-mode pushes, {args.concurrency} concurrent, {args.pushes} measured per column, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores")
    print(f"| {'':14} | {'gateway, acked':>15} | {'gateway, reply':>15} | {'node-webot, reply':>17} |")
    print(f"|{'-' * 16}|{'-' * 17}|{'-' * 17}|{'-' * 19}|")
    for label, key, fmt in rows:
        a, b, c = (fmt % results[name][key] for name in ("acked", "reply", "webot"))
        print(f"| {label:14} | {a:>15} | {b:>15} | {c:>17} |")
    reply, webot, acked = results["reply"], results["webot"], results["acked"]
    throughput = reply["pushes_per_s"] / webot["pushes_per_s"]
    cpu = webot["cpu_us_per_push"] / max(reply["cpu_us_per_push"], 1e-9)
    print(f"reply vs node-webot: {throughput:.2f}x the pushes/s (target >= 3), "
          f"1/{cpu:.2f} of its CPU per push (target <= 1/5)")
    print(f"acked: {acked['cpu_us_per_push']:.1f} µs CPU per push (target <= 25); "
          f"p99 acked {acked['p99_ms']:.2f} ms, reply {reply['p99_ms']:.2f} ms (target <= 2)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
