"""Runs one language's client test against one gateway and fake WeChat (stack.py).

    /usr/bin/python3 tests/e2e/client_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --push BIN --make-certs SCRIPT \
        [--cwd DIR] -- COMMAND ARG...

COMMAND runs once, with the stack's coordinates in its environment:
  WXGATE_E2E_TARGET        the gateway, "127.0.0.1:PORT" (plaintext, anyone may call)
  WXGATE_E2E_APPID         its one account (also the default)
  WXGATE_E2E_OPENID        a follower the fake knows (city 广州, tags 128 and 2)
  WXGATE_E2E_PUSH_TEXT     a command: `$WXGATE_E2E_PUSH_TEXT CONTENT MSGID` pushes a
                           signed text message to the account as WeChat does and
                           prints "... -> HTTP STATUS BODY" (BODY: the passive reply)
and those of a second gateway in front of the same fake, which serves gRPC over TLS
and requires a client certificate (server.tls, client_certificates: require); its one
caller is known by the certificate's SAN URI spiffe://test/shop and may call
wechat.mp.v1.UserService's methods for the account, nobody else anything:
  WXGATE_E2E_MTLS_TARGET   "127.0.0.1:PORT"; the server certificate is valid for
                           IP 127.0.0.1 (and DNS localhost), so no name override
  WXGATE_E2E_CA_FILE       the CA (PEM) that issued the server and client certificates
  WXGATE_E2E_CLIENT_CERT   the caller's certificate (PEM)
  WXGATE_E2E_CLIENT_KEY    its key (PEM, PKCS#8, EC P-256)
The certificates are made by make_mtls_certs.sh at each run, in the stack's temp dir.
Its exit status is this script's; on failure every server's output goes to stderr.
"""

import argparse
import contextlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"  # the follower in the fake's mp_core.json
COMMAND_TIMEOUT = 900  # seconds, for the whole language run on a loaded machine
CLIENT = "shop"  # make_mtls_certs.sh's shop.pem: SAN URI spiffe://test/shop
MTLS_ACCESS = ('callers: [{name: shop, tls_identities: ["spiffe://test/shop"], '
               f'policy: {{appids: ["{stack.APPID}"], methods: ["wechat.mp.v1.UserService/*"]}}}}]')


@contextlib.contextmanager
def mtls_gateway(args, running):
    """Runs a second wxgate that requires client certificates, for the block; yields
    (gateway, certificate directory)."""
    import grpc

    certs = os.path.join(running.workdir, "mtls-certs")
    subprocess.run(["bash", args.make_certs, certs], check=True, stdout=subprocess.DEVNULL)
    tls = (f"  tls:\n"
           f"    cert_file: {certs}/server.pem\n"
           f"    key_file: {certs}/server.key\n"
           f"    client_ca_file: {certs}/ca.pem\n"
           f"    client_certificates: require\n")
    config, ports = stack.write_gateway_config(args, running.workdir, "wxgate-mtls",
                                               running.fake_port, access=MTLS_ACCESS,
                                               server_extra=tls)

    def read(name):
        with open(os.path.join(certs, name), "rb") as f:
            return f.read()

    # The health check presents the caller's certificate too: the listener takes no other.
    credentials = grpc.ssl_channel_credentials(read("ca.pem"), read(f"{CLIENT}.key"),
                                               read(f"{CLIENT}.pem"))
    log = os.path.join(running.workdir, "wxgate-mtls.log")
    gateway = None
    failed = True
    try:
        gateway = stack.start_gateway(args, config, ports, log, credentials)
        yield gateway, certs
        failed = False
    finally:
        codes = [stack._stop(gateway.process)] if gateway else []
        stack.report((("wxgate (mTLS)", log),), failed, codes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack.add_arguments(parser)
    parser.add_argument("--push", required=True, help="the fake_wechat_push binary")
    parser.add_argument("--make-certs", required=True, help="make_mtls_certs.sh")
    parser.add_argument("--cwd", help="where COMMAND runs")
    parser.add_argument("command", nargs="+", help="the language's test command")
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    with stack.running(args) as running, mtls_gateway(args, running) as (mtls, certs):
        env = dict(os.environ,
                   WXGATE_E2E_TARGET=running.target,
                   WXGATE_E2E_APPID=running.appid,
                   WXGATE_E2E_OPENID=OPENID,
                   WXGATE_E2E_PUSH_TEXT=os.path.join(here, "push_text.sh"),
                   WXGATE_E2E_PUSH_BIN=os.path.abspath(args.push),
                   WXGATE_E2E_CALLBACK_URL=running.callback_url,
                   WXGATE_E2E_MTLS_TARGET=mtls.target,
                   WXGATE_E2E_CA_FILE=os.path.join(certs, "ca.pem"),
                   WXGATE_E2E_CLIENT_CERT=os.path.join(certs, f"{CLIENT}.pem"),
                   WXGATE_E2E_CLIENT_KEY=os.path.join(certs, f"{CLIENT}.key"),
                   **{stack.CALLBACK_TOKEN_ENV: stack.CALLBACK_TOKEN})
        run = subprocess.run(args.command, cwd=args.cwd, env=env, stdin=subprocess.DEVNULL,
                             timeout=COMMAND_TIMEOUT)
        if run.returncode != 0:
            # Inside the block, so that the servers' output is printed.
            raise SystemExit(f"{args.command[0]} exited with {run.returncode}")


if __name__ == "__main__":
    main()
