"""Runs several wxgate replicas sharing one redis-server, in front of one fake WeChat.

    with cluster.running(args, replicas=3) as c:
        c.replicas[0].target            # "127.0.0.1:PORT" of replica 0
        c.replicas[1].kill()            # SIGKILL, as a crash would
        c.replicas[1].start()           # the same config and ports again
        c.redis.restart()               # same port and directory (AOF kept when on)
        c.fake_calls("/cgi-bin/stable_token")   # what the fake WeChat has answered

Everything is on loopback, on free ports, in one temporary directory, and stopped
when the block ends (stack.py's helpers: conditions, never fixed sleeps).
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile

import stack


class Redis:
    """A redis-server on a free loopback port: --bind, --dir and --save "" always."""

    def __init__(self, workdir, append_only=False):
        self.dir = os.path.join(workdir, "redis")
        os.mkdir(self.dir)
        self.port = stack.free_port()
        self.append_only = append_only
        self.log = os.path.join(self.dir, "redis.log")
        self.process = None

    def start(self):
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--daemonize", "no",
                "--appendonly", "yes" if self.append_only else "no"]
        if self.append_only:
            argv += ["--appendfsync", "always"]
        self.process = stack._start(argv, self.log)
        stack.wait_until(self._answers, stack.STARTUP_TIMEOUT, "redis-server answering PING",
                         self.process, self.log)

    def _answers(self):
        done = subprocess.run(["redis-cli", "-p", str(self.port), "PING"],
                              capture_output=True, text=True)
        return done.stdout.strip() == "PONG"

    def stop(self):
        return stack._stop(self.process) if self.process else 0

    def restart(self):
        self.stop()
        self.start()


class Replica:
    """One wxgate process of the cluster; it keeps its config and ports across restarts."""

    def __init__(self, args, workdir, index, fake_port, extra):
        self.args = args
        self.name = f"wxgate-{index}"
        # Few upstream connections: three gateways opening 256 TLS connections each at
        # once to the one-thread fake would time out handshakes on a loaded machine.
        self.config, self.ports = stack.write_gateway_config(
            args, workdir, self.name, fake_port, max_connections=16, extra=extra)
        self.workdir = workdir
        self.logs = []  # one per start
        self.gateway = None

    @property
    def target(self):
        return self.gateway.target

    @property
    def callback_url(self):
        return self.gateway.callback_url

    def start(self):
        log = os.path.join(self.workdir, f"{self.name}.{len(self.logs)}.log")
        self.logs.append(log)
        self.gateway = stack.start_gateway(self.args, self.config, self.ports, log)

    def kill(self):
        """SIGKILL: no drain, no goodbye, as when a node dies."""
        self.gateway.process.send_signal(signal.SIGKILL)
        self.gateway.process.wait()

    def stop(self):
        if self.gateway is None or self.gateway.process.poll() is not None:
            return 0
        return stack._stop(self.gateway.process)


class Cluster:
    def __init__(self, args, workdir, fake_port, redis, replicas):
        self.appid = stack.APPID
        self.redis = redis
        self.replicas = replicas
        self._args = args
        self._fake_port = fake_port

    def _fake_request(self, path, body=None):
        return stack.fake_request(self._args, self._fake_port, path, body)

    def fake_calls(self, path):
        """How many requests the fake WeChat has answered at `path`."""
        return self._fake_request("/fake/stats")["calls"].get(path, 0)

    def revoke_tokens(self):
        """The fake WeChat forgets every token of the account (40001 from now on)."""
        assert self._fake_request("/fake/revoke", {"appid": self.appid})["errcode"] == 0


@contextlib.contextmanager
def running(args, replicas=3, append_only=False, extra="", fake_args=()):
    """Yields a Cluster of `replicas` gateways with store.redis, all started and serving.

    extra: more YAML sections for every replica's configuration; fake_args: more
    flags for the fake WeChat."""
    workdir = tempfile.mkdtemp(prefix="wxgate-cluster-")
    fake_process = None
    redis = Redis(workdir, append_only)
    members = []
    failed = True
    try:
        fake_process, fake_port = stack.start_fake(args, workdir, fake_args)
        redis.start()
        extra += f'store:\n  redis: {{address: "127.0.0.1:{redis.port}"}}\n'
        members = [Replica(args, workdir, i, fake_port, extra) for i in range(replicas)]
        for member in members:
            member.start()
        yield Cluster(args, workdir, fake_port, redis, members)
        failed = False
    finally:
        codes = [member.stop() for member in members]
        codes.append(redis.stop())
        if fake_process is not None:
            codes.append(stack._stop(fake_process))
        logs = [("fake_wechat", os.path.join(workdir, "fake_wechat.log")),
                ("redis", redis.log)]
        logs += [(m.name, log) for m in members for log in m.logs]
        try:
            stack.report(logs, failed, codes)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
