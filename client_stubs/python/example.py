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
    print(json_format.MessageToJson(user, preserving_proto_field_name=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
