"""The Compose trial's smoke check: every replica serves, the replicas share one access
token, and a push taken by one replica reaches a subscriber on another.

    smoke.py --targets T1 T2 T3 --callbacks URL1 URL2 URL3 --appid APPID \
        --fake https://127.0.0.1:PORT --ca CA.pem --stubs-dir GEN [--wait-only]

GEN holds the generated Python modules (the build makes them in
build/client_stubs/python/gen). The pushes are signed with the callback token in
$WXGATE_TRIAL_CALLBACK_TOKEN, as WeChat signs them. Exits non-zero on the first
failed check.
"""

import argparse
import json
import os
import queue
import ssl
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/e2e"))
import stack  # noqa: E402  (health checks, waits)
import wechat_push  # noqa: E402  (signed pushes, Subscribe streams)

START_TIMEOUT = 180.0  # a replica waits for Redis and the fake at start
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def check(condition, failure):
    if not condition:
        sys.exit(f"smoke: FAILED: {failure}")


def serves(target):
    """Whether `target` answers its health check SERVING now (False while it starts)."""
    import grpc
    try:
        return stack.health_serving(target, 5)
    except grpc.RpcError:
        return False


def token_fetches(args):
    """How many times the fake WeChat was asked for a token."""
    tls = ssl.create_default_context(cafile=args.ca)
    with urllib.request.urlopen(f"{args.fake}/fake/stats", context=tls, timeout=30) as answer:
        calls = json.load(answer)["calls"]
    return calls.get("/cgi-bin/stable_token", 0) + calls.get("/cgi-bin/token", 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", required=True)
    parser.add_argument("--callbacks", nargs="+", required=True)
    parser.add_argument("--appid", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--stubs-dir", required=True)
    parser.add_argument("--wait-only", action="store_true", help="only wait until each serves")
    args = parser.parse_args()
    if not os.path.isdir(args.stubs_dir):
        sys.exit(f"smoke: no generated Python modules in {args.stubs_dir}; "
                 "build first (./wxgate.sh test, or cmake --build build)")
    sys.path.insert(0, args.stubs_dir)
    import grpc
    from wechat.mp.v1 import user_pb2, user_pb2_grpc

    for target in args.targets:
        stack.wait_until(lambda: serves(target), START_TIMEOUT, f"the replica at {target} serving")
        print(f"smoke: {target} serves")
    if args.wait_only:
        return

    channels = [grpc.insecure_channel(target) for target in args.targets]
    subscriber = wechat_push.Subscription(channels[-1])
    for target, channel in zip(args.targets, channels):
        user = user_pb2_grpc.UserServiceStub(channel).GetUserInfo(
            user_pb2.GetUserInfoRequest(openid=OPENID), timeout=wechat_push.TIMEOUT)
        check(user.openid == OPENID, f"GetUserInfo through {target} answered {user}")
        print(f"smoke: GetUserInfo through {target}: {user.nickname!r}")
    fetches = token_fetches(args)
    check(fetches == 1, f"the replicas fetched {fetches} tokens; they share one")
    print("smoke: one token fetch for the whole cluster")

    # The subscriber's stream is live once it gets a marker pushed after it opened.
    token = os.environ["WXGATE_TRIAL_CALLBACK_TOKEN"]
    for msg_id in range(1, 600):
        status, body = wechat_push.push(args.callbacks[0],
                                        wechat_push.text_push("smoke", msg_id), token=token)
        check((status, body) == (200, "success"), f"the push got {status} {body!r}")
        try:
            event = subscriber.next(timeout=0.2)
            break
        except queue.Empty:  # not live yet
            continue
    else:
        check(False, f"no push reached the subscriber on {args.targets[-1]}")
    print(f"smoke: a push to {args.callbacks[0]} reached a subscriber on {args.targets[-1]} "
          f"(cursor {event.cursor})")
    subscriber.close()
    for channel in channels:
        channel.close()


if __name__ == "__main__":
    main()
