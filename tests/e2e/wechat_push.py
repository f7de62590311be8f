"""What the end-to-end tests need to play WeChat and a subscriber.

    status, body = push(url, text_push("hello", msg_id=1))   # signed as WeChat signs
    events = Subscription(channel, replies=True)              # a Subscribe stream
    event = events.next()

Pushes are signed in plain mode: sha1 of the sorted token, timestamp and nonce.
Subscription needs the generated Python modules on sys.path.
"""

import hashlib
import queue
import threading
import time
import urllib.error
import urllib.request

import stack

TIMEOUT = 60.0  # seconds; generous for a loaded machine


def text_push(content, msg_id):
    return (f"<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName>"
            f"<FromUserName><![CDATA[oE2eUser]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def push(url, xml, token=stack.CALLBACK_TOKEN, skew=0, headers=None):
    """POSTs a push signed `skew` seconds off the current time, with more HTTP
    `headers` if given (e.g. traceparent); returns (HTTP status, body)."""
    timestamp, nonce = str(int(time.time()) + skew), "e2enonce"
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    request = urllib.request.Request(
        f"{url}?timestamp={timestamp}&nonce={nonce}&signature={signature}",
        data=xml.encode(), method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Subscription:
    """A Subscribe stream read by a thread into a queue of events (an account's
    wechat.mp.v1.Event, or a wechat.open.v1.ComponentEvent); `error` is how it ended."""

    def __init__(self, channel, metadata=None, **request):
        import grpc
        from wxgate.v1 import event_pb2, event_pb2_grpc
        self._rpc_error = grpc.RpcError
        stub = event_pb2_grpc.EventServiceStub(channel)
        self.call = stub.Subscribe(event_pb2.SubscribeRequest(**request), metadata=metadata)
        self.events = queue.Queue()
        self.error = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for response in self.call:
                self.events.put(response.component_event
                                if response.HasField("component_event") else response.event)
        except self._rpc_error as error:
            self.error = error  # cancelled at the end of a test, or refused

    def next(self, timeout=TIMEOUT):
        return self.events.get(timeout=timeout)

    def close(self):
        self.call.cancel()
        self.thread.join(TIMEOUT)
