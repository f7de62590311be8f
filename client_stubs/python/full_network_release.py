#!/usr/bin/python3
"""Answers WeChat's full-network release check (全网发布接入检测) for a third-party
platform served by wxgate, as a subscriber: run it, then press 全网发布 in the
open platform's console.

    PYTHONPATH=build/client_stubs/python/gen /usr/bin/python3 \\
        client_stubs/python/full_network_release.py --target 127.0.0.1:50051 \\
        [--component wx...] [--api-key KEY]

WeChat's test accounts (the check picks one of TEST_ACCOUNTS) send to the platform's
message URL, and expect:
  - an event E:                            the text reply "Efrom_callback";
  - the text TESTCOMPONENT_MSG_TYPE_TEXT:  the text reply "TESTCOMPONENT_MSG_TYPE_TEXT_callback";
  - the text QUERY_AUTH_CODE:<code>:       an empty answer at once; then the platform
    exchanges <code> (AuthorizationService/CompleteAuthorization, which authorizes
    the test account) and sends the sender the customer-service text
    "<code>_from_api" on the test account's behalf (KfService/SendCustomMessage).
The caller's policy must allow EventService for the test accounts' appids and
AuthorizationService and KfService for the component (or its appids). Progress goes
to stderr; it runs until interrupted.
"""

import argparse
import os
import sys
import threading

# WeChat's test accounts for the check: five Official Accounts, five mini programs
# (https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/operation/thirdparty/releases_instructions.html).
TEST_ACCOUNTS = (
    "wx570bc396a51b8ff8", "wx9252c5e0bb1836fc", "wx8e1097c5bc82cde9", "wx14550af28c71a144",
    "wxa35b9c23cfe664eb",
    "wxd101a85aa106f53e", "wxc39235c15087f6f3", "wx7720d01d4b2a4500", "wx05d483572dcd5d8b",
    "wx5910277cae6fd970",
)
TEXT_CASE = "TESTCOMPONENT_MSG_TYPE_TEXT"
API_CASE_PREFIX = "QUERY_AUTH_CODE:"


def log(message):
    print(message, file=sys.stderr, flush=True)


class ReleaseCheck:
    """The check's three cases, on one gateway connection."""

    def __init__(self, client, component, timeout):
        import wxgate_client
        from wechat.mp.v1 import kf_pb2_grpc
        from wxgate.v1 import authorization_pb2_grpc
        self._client = wxgate_client
        self._authorization = client.stub(authorization_pb2_grpc.AuthorizationServiceStub)
        self._kf = client.stub(kf_pb2_grpc.KfServiceStub)
        self._component = component
        self._timeout = timeout

    def handle(self, event):
        """The passive reply to one push (None: an empty answer)."""
        if event.msg_type == "event" and event.event:
            log(f"{event.appid}: event {event.event}")
            return self._client.text_reply(event.event + "from_callback")
        if event.HasField("text") and event.text.content == TEXT_CASE:
            log(f"{event.appid}: text case")
            return self._client.text_reply(TEXT_CASE + "_callback")
        if event.HasField("text") and event.text.content.startswith(API_CASE_PREFIX):
            code = event.text.content[len(API_CASE_PREFIX):]
            # Answered empty at once; the customer-service message follows.
            threading.Thread(target=self._answer_by_api,
                             args=(event.appid, event.from_user_name, code),
                             daemon=True).start()
            return None
        return None

    def _metadata(self, appid=None):
        metadata = [("x-wx-component-appid", self._component)] if self._component else []
        if appid:
            metadata.append(("x-wx-appid", appid))
        return metadata

    def _answer_by_api(self, appid, openid, code):
        import grpc
        from wechat.mp.v1 import kf_pb2
        from wxgate.v1 import authorization_pb2
        try:
            grant = self._authorization.CompleteAuthorization(
                authorization_pb2.CompleteAuthorizationRequest(authorization_code=code),
                metadata=self._metadata(), timeout=self._timeout).grant
            self._kf.SendCustomMessage(
                kf_pb2.SendCustomMessageRequest(
                    touser=openid, msgtype=kf_pb2.KF_MESSAGE_TYPE_TEXT,
                    text=kf_pb2.KfText(content=code + "_from_api")),
                metadata=self._metadata(grant.authorizer_appid), timeout=self._timeout)
            log(f"{appid}: API case answered")
        except grpc.RpcError as error:
            info = self._client.error_info(error)
            log(f"{appid}: API case failed: {error.code().name}: {error.details()} "
                f"(reason {info.reason if info else 'none'})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051", help="the gateway, host:port")
    parser.add_argument("--component", help="x-wx-component-appid, with several platforms")
    parser.add_argument("--api-key", help="the caller's API key (access.callers)")
    parser.add_argument("--appids", nargs="*", default=TEST_ACCOUNTS,
                        help="the test accounts to answer for (default: WeChat's ten)")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline of each call")
    parser.add_argument("--stubs", help="directory of the generated modules, if not on PYTHONPATH")
    args = parser.parse_args()

    if args.stubs:
        sys.path.insert(0, args.stubs)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # wxgate_client
    import wxgate_client
    from wxgate.v1 import event_pb2

    with wxgate_client.connect(args.target, api_key=args.api_key) as client:
        check = ReleaseCheck(client, args.component, args.timeout)
        request = event_pb2.SubscribeRequest(
            filter=event_pb2.EventFilter(appids=args.appids), replies=True)
        subscriber = wxgate_client.Subscriber(client, request)
        log(f"answering the release check for {len(args.appids)} test accounts")
        try:
            subscriber.run(check.handle)
        except KeyboardInterrupt:
            subscriber.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
