"""Three wxgate replicas sharing one Redis (AOF on) share their pushes and replies.

    cluster_events_test.py --wxgate BIN --fake-wechat BIN --cert-dir DIR
        --endpoints-dir DIR --stubs-dir GEN

The tests run in order on one cluster; WeChat's pushes go to random replicas:
  1. a broadcast subscriber on every replica gets every push once, in cursor order,
     under the same cursors everywhere;
  2. WeChat's retries of a push that reach other replicas are published once;
  3. a replica killed (SIGKILL) mid-run: resumed from its last cursor on the restarted
     replica, the subscriber gets every push answered 200 meanwhile;
  4. Redis restarted mid-run: pushes during the outage are refused with 503 (WeChat
     retries them), no push answered 200 is lost, and a replica started afterwards
     replays every push answered 200 since the cluster started;
  5. a Reply sent to another replica than the one holding WeChat's request answers
     it; after the reply window it is refused;
  6. a group with a member on every replica gets each push once; when a member's
     replica is killed, what it had not delivered goes to the other members.
"""

import concurrent.futures
import os
import queue
import random
import sys
import threading
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import stack  # noqa: E402
from wechat_push import TIMEOUT, Subscription, push, text_push  # noqa: E402

ARGS = None  # parsed in main()


class ClusterEventsTest(unittest.TestCase):
    acked = set()  # msg_ids of every push answered 200 "success", over all tests
    markers = iter(range(900_000, 1_000_000))

    @classmethod
    def setUpClass(cls):
        cls._cluster = cluster.running(ARGS, replicas=3, append_only=True,
                                       extra="events: {group_claim_after: 2s}\n")
        cls.cluster = cls._cluster.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._cluster.__exit__(None, None, None)

    def replica(self, index):
        return self.cluster.replicas[index]

    def subscribe(self, index, **request):
        channel = grpc.insecure_channel(self.replica(index).target)
        self.addCleanup(channel.close)
        subscription = Subscription(channel, **request)
        self.addCleanup(subscription.close)
        return subscription

    def push_to(self, index, msg_id, content=None):
        status, body = push(self.replica(index).callback_url,
                            text_push(content or f"push {msg_id}", msg_id))
        if (status, body) == (200, "success"):
            self.acked.add(msg_id)
        return status, body

    def push_many(self, msg_ids, replicas=(0, 1, 2)):
        """Sends the pushes at once, each to a random one of `replicas`; all must be kept."""
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(
                lambda msg_id: self.push_to(random.choice(replicas), msg_id), msg_ids))
        self.assertEqual(set(answers), {(200, "success")})

    def wait_live(self, *subscriptions):
        """Pushes markers until each subscription received one (it is live then)."""
        deadline = time.monotonic() + TIMEOUT
        pending = list(subscriptions)
        while pending and time.monotonic() < deadline:
            self.assertEqual(self.push_to(0, next(self.markers), "marker")[0], 200)
            pending = [s for s in pending if not self._got_event(s)]
        self.assertEqual(pending, [], "subscriptions never went live")

    @staticmethod
    def _got_event(subscription):
        try:
            subscription.next(timeout=0.2)
            return True
        except queue.Empty:
            return False

    def collect(self, subscription, msg_ids):
        """Reads until every one of `msg_ids` came; returns {msg_id: cursor}.

        Fails on a push that comes twice or a cursor that does not grow."""
        wanted, got, last_cursor = set(msg_ids), {}, 0
        while not wanted <= got.keys():
            try:
                event = subscription.next()
            except queue.Empty:
                self.fail(f"{len(wanted - got.keys())} pushes never came, e.g. "
                          f"{sorted(wanted - got.keys())[:5]}")
            self.assertGreater(event.cursor, last_cursor, "cursors must grow")
            last_cursor = event.cursor
            if event.text.content == "marker":
                continue
            self.assertNotIn(event.text.msg_id, got, "a push came twice")
            got[event.text.msg_id] = event.cursor
        return got

    def test_1_every_subscriber_on_every_replica_gets_every_push(self):
        subscriptions = [self.subscribe(i) for i in range(3)]
        self.wait_live(*subscriptions)
        msg_ids = range(1000, 1300)
        self.push_many(msg_ids)
        seen = [self.collect(s, msg_ids) for s in subscriptions]
        self.assertEqual(set(seen[0]), set(msg_ids))
        self.assertEqual(seen[0], seen[1], "cursors mean the same on every replica")
        self.assertEqual(seen[0], seen[2], "cursors mean the same on every replica")

    def test_2_retries_that_reach_other_replicas_are_published_once(self):
        subscription = self.subscribe(1)
        self.wait_live(subscription)
        for index in (0, 1, 2, 0):
            self.assertEqual(self.push_to(index, 2000), (200, "success"))
        self.assertEqual(self.push_to(2, 2001), (200, "success"))
        self.assertEqual(list(self.collect(subscription, [2000, 2001])), [2000, 2001])

    def test_3_a_killed_replica_loses_no_answered_push(self):
        subscription = self.subscribe(2)
        self.wait_live(subscription)
        self.push_many(range(3000, 3050))
        last_cursor = max(self.collect(subscription, range(3000, 3050)).values())
        self.replica(2).kill()
        self.push_many(range(3050, 3150), replicas=(0, 1))
        with self.assertRaises(urllib.error.URLError):  # nobody answers for the dead one
            self.push_to(2, 3999)
        self.replica(2).start()
        resumed = self.subscribe(2, after_cursor=last_cursor)
        self.assertEqual(sorted(self.collect(resumed, range(3050, 3150))), list(range(3050, 3150)))

    def test_4_a_redis_restart_loses_no_acknowledged_push(self):
        subscription = self.subscribe(0)
        self.wait_live(subscription)
        self.push_many(range(4000, 4050))
        self.cluster.redis.stop()
        refused = list(range(4050, 4055))
        for msg_id in refused:
            status, body = self.push_to(msg_id % 3, msg_id)
            self.assertEqual(status, 503, body)
        self.cluster.redis.start()
        # WeChat retries a refused push until it is kept.
        deadline = time.monotonic() + TIMEOUT
        while refused and time.monotonic() < deadline:
            if self.push_to(refused[0] % 3, refused[0])[0] == 200:
                refused.pop(0)
            else:
                time.sleep(0.1)
        self.assertEqual(refused, [], "pushes still refused after Redis came back")
        self.collect(subscription, range(4000, 4055))
        # A replica started now reads everything back from Redis's append-only file.
        self.replica(1).kill()
        self.replica(1).start()
        replay = self.subscribe(1, after_cursor=0)
        self.collect(replay, set(self.acked) - self._markers_acked())

    def next_with(self, subscription, content, msg_id=None):
        """The next event of `subscription` whose text is `content` (and msg_id)."""
        while True:
            try:
                event = subscription.next()
            except queue.Empty:
                self.fail(f"no push {content!r} came; the stream ended with {subscription.error}")
            if event.text.content == content and msg_id in (None, event.text.msg_id):
                return event

    def _markers_acked(self):
        return {msg_id for msg_id in self.acked if msg_id >= 900_000}

    def test_5_a_reply_sent_to_another_replica_answers_the_push(self):
        replier = self.subscribe(1, replies=True)
        replies = event_pb2_grpc.EventServiceStub(grpc.insecure_channel(self.replica(2).target))

        def answer_until_ping():
            while True:
                event = replier.next()
                reply = replies_pb2.Reply(text=replies_pb2.TextReply(
                    content=f"re: {event.text.content}"))
                try:
                    replies.Reply(event_pb2.ReplyRequest(event_id=event.id, reply=reply),
                                  timeout=TIMEOUT)
                    return
                except grpc.RpcError as error:
                    # Until replica 1's heartbeat tells the others that it has a
                    # replier, their pushes do not wait for a reply.
                    self.assertEqual(error.code(), grpc.StatusCode.FAILED_PRECONDITION)

        thread = threading.Thread(target=answer_until_ping, daemon=True)
        thread.start()
        # Pushes sent before the stream is live get "success"; go on until one is replied.
        pings = iter(range(500_000, 900_000))
        body, deadline = "", time.monotonic() + TIMEOUT
        while "re: ping" not in body and time.monotonic() < deadline:
            _, body = self.push_to(0, next(pings), "ping")
            time.sleep(0.05)
        thread.join(TIMEOUT)
        self.assertIn("<Content><![CDATA[re: ping]]></Content>", body)

        # Unanswered, the push gets "success" at the window's end; a reply after it is
        # refused by every replica.
        self.assertEqual(self.push_to(0, 5999, "late"), (200, "success"))
        event = self.next_with(replier, "late")
        with self.assertRaises(grpc.RpcError) as refused:
            replies.Reply(event_pb2.ReplyRequest(event_id=event.id), timeout=TIMEOUT)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("not waiting for a reply", refused.exception.details())

    def test_6_a_group_spread_over_replicas_gets_each_push_once(self):
        # The group starts after a marker every replica knows.
        watcher = self.subscribe(0)
        self.wait_live(watcher)
        marker = next(self.markers)
        self.push_to(0, marker, "marker")
        start = self.next_with(watcher, "marker", msg_id=marker).cursor
        members = [self.subscribe(i, group="workers", after_cursor=start) for i in range(3)]
        self.push_many(range(6000, 6300))
        taken = self.drain_until(members, set(range(6000, 6300)))
        everything = [m for got in taken for m in got]
        self.assertEqual(sorted(everything), list(range(6000, 6300)), "each push once")

        # Replica 2 dies mid-run: what it held goes to the others after 2 s.
        self.push_many(range(6300, 6400))
        self.replica(2).kill()
        self.push_many(range(6400, 6500), replicas=(0, 1))
        taken = self.drain_until(members, set(range(6300, 6500)))
        seen = {m for got in taken for m in got}
        self.assertEqual(seen, set(range(6300, 6500)), "every push answered 200 came")
        self.replica(2).start()

    def drain_until(self, members, msg_ids):
        """Reads the members until together they got `msg_ids`; returns each one's list."""
        taken = [[] for _ in members]
        deadline = time.monotonic() + TIMEOUT
        while not msg_ids <= {m for got in taken for m in got}:
            missing = sorted(msg_ids - {m for got in taken for m in got})
            self.assertLess(time.monotonic(), deadline,
                            f"{len(missing)} pushes never came, e.g. {missing[:5]}; the "
                            f"streams ended with {[m.error for m in members]}")
            for index, member in enumerate(members):
                try:
                    event = member.next(timeout=0.05)
                except queue.Empty:
                    continue
                if event.text.content != "marker":
                    taken[index].append(event.text.msg_id)
        return taken


def main():
    global ARGS, grpc, event_pb2, event_pb2_grpc, replies_pb2
    ARGS, argv = stack.parse_args(__doc__)
    import grpc
    from wxgate.v1 import event_pb2, event_pb2_grpc
    from wechat.mp.v1 import replies_pb2
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
