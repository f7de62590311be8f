"""Runs one language's client test against one gateway and fake WeChat (stack.py).

    /usr/bin/python3 tests/e2e/client_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --push BIN [--cwd DIR] -- COMMAND ARG...

COMMAND runs once, with the stack's coordinates in its environment:
  WXGATE_E2E_TARGET        the gateway, "127.0.0.1:PORT" (plaintext, anyone may call)
  WXGATE_E2E_APPID         its one account (also the default)
  WXGATE_E2E_OPENID        a follower the fake knows (city 广州, tags 128 and 2)
  WXGATE_E2E_PUSH_TEXT     a command: `$WXGATE_E2E_PUSH_TEXT CONTENT MSGID` pushes a
                           signed text message to the account as WeChat does and
                           prints "... -> HTTP STATUS BODY" (BODY: the passive reply)
Its exit status is this script's; on failure both servers' output goes to stderr.
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"  # the follower in the fake's mp_core.json
COMMAND_TIMEOUT = 900  # seconds, for the whole language run on a loaded machine


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack.add_arguments(parser)
    parser.add_argument("--push", required=True, help="the fake_wechat_push binary")
    parser.add_argument("--cwd", help="where COMMAND runs")
    parser.add_argument("command", nargs="+", help="the language's test command")
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    with stack.running(args) as running:
        env = dict(os.environ,
                   WXGATE_E2E_TARGET=running.target,
                   WXGATE_E2E_APPID=running.appid,
                   WXGATE_E2E_OPENID=OPENID,
                   WXGATE_E2E_PUSH_TEXT=os.path.join(here, "push_text.sh"),
                   WXGATE_E2E_PUSH_BIN=os.path.abspath(args.push),
                   WXGATE_E2E_CALLBACK_URL=running.callback_url,
                   **{stack.CALLBACK_TOKEN_ENV: stack.CALLBACK_TOKEN})
        run = subprocess.run(args.command, cwd=args.cwd, env=env, stdin=subprocess.DEVNULL,
                             timeout=COMMAND_TIMEOUT)
        if run.returncode != 0:
            # Inside the block, so that stack.running prints both servers' output.
            raise SystemExit(f"{args.command[0]} exited with {run.returncode}")


if __name__ == "__main__":
    main()
