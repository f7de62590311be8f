#!/usr/bin/python3
"""Fetches one follower through a running wxgate and prints the answer as JSON.

    PYTHONPATH=build/client_stubs/python/gen /usr/bin/python3 client_stubs/python/example.py \
        --target 127.0.0.1:50051 --appid wx1111111111111111 --openid o6_bmjrPTlm6_2sgVt7hMZOPfL2M

On failure it prints the gRPC code, the message and the ErrorInfo reason (for
instance WECHAT_40003 for an openid WeChat does not know) to stderr and exits 1.
"""

import argparse
import os
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051", help="the gateway, host:port")
    parser.add_argument("--appid", help="the account (x-wx-appid); default: the gateway's default")
    parser.add_argument("--openid", required=True, help="the follower to look up")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline in seconds")
    parser.add_argument("--stubs", help="directory of the generated modules, if not on PYTHONPATH")
    parser.add_argument("--subscribe", action="store_true",
                        help="then create a tag (and show a refused one) and reply to text "
                             "messages until interrupted; progress goes to stderr")
    args = parser.parse_args()

    if args.stubs:
        sys.path.insert(0, args.stubs)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # wxgate_client
    import grpc
    from google.protobuf import json_format
    from wechat.mp.v1 import user_pb2, user_pb2_grpc
    import wxgate_client

    with wxgate_client.connect(args.target, appid=args.appid) as client:
        users = client.stub(user_pb2_grpc.UserServiceStub)
        try:
            user = users.GetUserInfo(user_pb2.GetUserInfoRequest(openid=args.openid),
                                     timeout=args.timeout)
        except grpc.RpcError as error:
            info = wxgate_client.error_info(error)
            reason = info.reason if info else "none"
            print(f"GetUserInfo failed: {error.code().name}: {error.details()} (reason {reason})",
                  file=sys.stderr)
            if info and info.metadata:
                print(f"  domain {info.domain}, metadata {dict(info.metadata)}", file=sys.stderr)
            return 1
    print(json_format.MessageToJson(user, preserving_proto_field_name=True, ensure_ascii=False),
          flush=True)
    if args.subscribe:
        return tag_and_subscribe(args)
    return 0


def tag_and_subscribe(args):
    import signal
    import threading
    from wechat.mp.v1 import tag_pb2, tag_pb2_grpc
    from wxgate.v1 import event_pb2
    import wxgate_client

    with wxgate_client.connect(args.target, appid=args.appid) as client:
        tags = client.stub(tag_pb2_grpc.TagServiceStub)
        created = tags.CreateTag(tag_pb2.CreateTagRequest(tag=tag_pb2.Tag(name="VIP")),
                                 timeout=args.timeout)
        print(f"tag created: {created.tag.id} {created.tag.name}", file=sys.stderr)
        try:
            wxgate_client.call(tags.CreateTag, tag_pb2.CreateTagRequest(), timeout=args.timeout)
        except wxgate_client.WxgateError as e:  # no tag: WeChat refuses
            print(f"tag refused: errcode {e.errcode} ({e.errmsg}), rid \"{e.rid}\", "
                  f"reason {e.reason}", file=sys.stderr)

        subscriber = wxgate_client.Subscriber(client, event_pb2.SubscribeRequest(
            filter=event_pb2.EventFilter(msg_types=["text"]), replies=True),
            on_retry=lambda error, wait: print(f"resuming in {wait} s: {error}", file=sys.stderr))
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: threading.Thread(target=subscriber.stop).start())

        def answer(event):
            print(f'{event.from_user_name} says "{event.text.content}"', file=sys.stderr, flush=True)
            return wxgate_client.text_reply(f"you said: {event.text.content}")

        subscriber.run(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
