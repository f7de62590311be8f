"""SIGTERM drains wxgate (a process) before it stops, as README's Deployment promises.

    /usr/bin/python3 tests/e2e/drain_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN

With a call in flight (the fake WeChat answers it after a few seconds), a subscriber,
a health watcher and an idle keep-alive connection to the callback listener, SIGTERM
must: close the callback listener and the idle connection at once, while the call is
still running; report NOT_SERVING to the watcher; end the subscription with
UNAVAILABLE / GATEWAY_DRAINING naming the cursor to resume from; end the health watch;
let the call finish with its answer; and exit 0 then, long before drain_timeout.
"""

import http.client
import os
import signal
import socket
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402
from wechat_push import TIMEOUT, Subscription, push, text_push  # noqa: E402

ARGS = None
UPSTREAM_LATENCY_MS = 5000  # long enough for the listener to close well before the answer
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def refuses_connections(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False  # accepted by the kernel while the listener closed: ask again


def error_reason(error):
    """The google.rpc.ErrorInfo reason in a gRPC error's details, or None."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason
    return None


class DrainTest(unittest.TestCase):
    def test_sigterm_drains_then_stops(self):
        with stack.running(ARGS, server_extra="  drain_timeout: 300s\n") as running:
            callback = urllib.parse.urlsplit(running.callback_url)
            channel = grpc.insecure_channel(running.target)
            self.addCleanup(channel.close)

            subscription = Subscription(channel)
            self.addCleanup(subscription.close)
            stack.wait_until(lambda: "events_subscribed" in stack._read(running.log), TIMEOUT,
                             "the subscription going live")
            self.assertEqual(push(running.callback_url, text_push("before", 1))[0], 200)
            cursor = subscription.next().cursor

            identity = lambda b: b  # noqa: E731
            watch = channel.unary_stream("/grpc.health.v1.Health/Watch",
                                         request_serializer=identity,
                                         response_deserializer=identity)(b"", timeout=TIMEOUT)
            self.assertEqual(next(watch), b"\x08\x01")  # SERVING

            idle = http.client.HTTPConnection(callback.hostname, callback.port, timeout=TIMEOUT)
            self.addCleanup(idle.close)
            idle.request("GET", "/")  # any answer: the connection stays open, idle
            idle.getresponse().read()

            stack.fake_request(ARGS, running.fake_port, "/fake/latency",
                               {"ms": UPSTREAM_LATENCY_MS})
            users = user_pb2_grpc.UserServiceStub(channel)
            call = users.GetUserInfo.future(user_pb2.GetUserInfoRequest(openid=OPENID),
                                            timeout=TIMEOUT)
            stack.wait_until(
                lambda: stack.fake_request(ARGS, running.fake_port, "/fake/stats")["calls"]
                .get("/cgi-bin/user/info"), TIMEOUT, "the call reaching the fake WeChat")

            running.gateway.send_signal(signal.SIGTERM)

            stack.wait_until(lambda: refuses_connections(callback.port), TIMEOUT,
                             "the callback listener closing")
            self.assertFalse(call.done(), "the listener must close before calls finish")
            self.assertEqual(idle.sock.recv(1), b"", "the idle connection must be closed")
            self.assertEqual(next(watch), b"\x08\x02")  # NOT_SERVING
            with self.assertRaises(grpc.RpcError) as ended:  # then the watch ends
                next(watch)
            self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)

            subscription.thread.join(TIMEOUT)
            error = subscription.error
            self.assertIsNotNone(error, "the subscription must end")
            self.assertEqual(error.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(error_reason(error), "GATEWAY_DRAINING")
            self.assertIn(f"after_cursor {cursor}", error.details())

            self.assertEqual(call.result().openid, OPENID)
            # Nothing holds it until drain_timeout: it exits once the call is answered.
            self.assertEqual(running.gateway.wait(timeout=TIMEOUT), 0)
            log = stack._read(running.log)
            self.assertIn("draining", log)
            self.assertRegex(log, r"drained .*pushes_answered=\"?all")


def main():
    global ARGS, grpc, user_pb2, user_pb2_grpc, status_pb2, error_details_pb2
    ARGS, argv = stack.parse_args(__doc__)
    import grpc
    from google.rpc import error_details_pb2, status_pb2
    from wechat.mp.v1 import user_pb2, user_pb2_grpc
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
