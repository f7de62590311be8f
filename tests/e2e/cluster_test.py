"""Three wxgate replicas sharing one Redis share their tokens: one fetch between them.

    cluster_test.py --wxgate BIN --fake-wechat BIN --cert-dir DIR --endpoints-dir DIR
        --stubs-dir GEN

The tests run in order on one cluster (three gateways, redis-server, the fake WeChat)
and each one checks how many tokens the fake WeChat handed out:
  1. 10,000 concurrent calls spread over the replicas on a cold cache: one fetch;
  2. the token revoked under load: one refetch and no caller error;
  3. a replica killed (SIGKILL) and started again: it reads the token from Redis;
  4. Redis stopped: the replicas keep serving the token they hold; it comes back.
A second cluster, whose fake WeChat issues tokens that live 20 s, takes calls for
three lifetimes: one fetch per lifetime for the cluster (plus the one refresh that
finds stable_token handing the same token back), and no caller error.
"""

import asyncio
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import stack  # noqa: E402

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"  # the follower in the fake's mp_core.json
TOKEN_PATH = "/cgi-bin/stable_token"
CALL_TIMEOUT = 120.0  # seconds, for a call among thousands on a loaded machine

ARGS = None  # parsed in main()


async def call_everywhere(targets, calls):
    """Sends `calls` GetUserInfo calls at once, round robin over `targets`.

    Returns the list of failures (as strings) and how many calls succeeded.
    """
    channels = [grpc.aio.insecure_channel(t) for t in targets]
    try:
        stubs = [user_pb2_grpc.UserServiceStub(c) for c in channels]
        request = user_pb2.GetUserInfoRequest(openid=OPENID)

        async def one(i):
            try:
                user = await stubs[i % len(stubs)].GetUserInfo(request, timeout=CALL_TIMEOUT)
                return None if user.openid == OPENID else f"call {i}: answered {user.openid!r}"
            except grpc.aio.AioRpcError as error:
                return f"call {i} to {targets[i % len(targets)]}: {error.code()} {error.details()}"

        outcomes = await asyncio.gather(*(one(i) for i in range(calls)))
    finally:
        for channel in channels:
            await channel.close()
    failures = [o for o in outcomes if o is not None]
    return failures, calls - len(failures)


class ClusterTokensTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._cluster = cluster.running(ARGS, replicas=3)
        cls.cluster = cls._cluster.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._cluster.__exit__(None, None, None)

    def targets(self):
        return [r.target for r in self.cluster.replicas]

    def assert_all_succeed(self, calls, targets=None):
        failures, succeeded = asyncio.run(call_everywhere(targets or self.targets(), calls))
        self.assertEqual(failures[:5], [], f"{len(failures)} of {calls} calls failed")
        self.assertEqual(succeeded, calls)

    def test_1_a_cold_start_across_replicas_costs_one_fetch(self):
        self.assertEqual(self.cluster.fake_calls(TOKEN_PATH), 0)
        self.assert_all_succeed(10_000)
        self.assertEqual(self.cluster.fake_calls(TOKEN_PATH), 1)

    def test_2_a_revoked_token_is_refetched_once_without_caller_errors(self):
        before = self.cluster.fake_calls(TOKEN_PATH)
        self.cluster.revoke_tokens()
        self.assert_all_succeed(3_000)
        self.assertEqual(self.cluster.fake_calls(TOKEN_PATH), before + 1)

    def test_3_a_restarted_replica_reads_the_token_from_redis(self):
        before = self.cluster.fake_calls(TOKEN_PATH)
        replica = self.cluster.replicas[1]
        replica.kill()
        replica.start()
        self.assert_all_succeed(300, [replica.target])
        self.assertEqual(self.cluster.fake_calls(TOKEN_PATH), before)

    def test_4_without_redis_replicas_serve_the_token_they_hold(self):
        before = self.cluster.fake_calls(TOKEN_PATH)
        self.cluster.redis.stop()
        try:
            self.assert_all_succeed(300)
        finally:
            self.cluster.redis.start()
        self.assert_all_succeed(300)
        self.assertEqual(self.cluster.fake_calls(TOKEN_PATH), before)


class TokenExpiryTest(unittest.TestCase):
    LIFETIME = 20  # seconds, the fake's tokens

    def test_one_fetch_per_token_lifetime_for_the_cluster(self):
        with cluster.running(ARGS, replicas=3,
                             fake_args=("--token-lifetime-s", str(self.LIFETIME))) as c:
            targets = [r.target for r in c.replicas]
            failures, start = [], time.monotonic()
            while time.monotonic() - start < 3.2 * self.LIFETIME:
                failures += asyncio.run(call_everywhere(targets, 30))[0]
                time.sleep(0.2)  # a steady trickle of calls, not a wait for a condition
            lifetimes = int((time.monotonic() - start) // self.LIFETIME) + 1
            fetches = c.fake_calls(TOKEN_PATH)
        print(f"token fetches: {fetches} for {lifetimes} token lifetimes over 3 replicas",
              file=sys.stderr)
        self.assertEqual(failures[:5], [], f"{len(failures)} calls failed")
        # One per lifetime, one more for the refresh ahead that met the same token,
        # one more where the run ends just past an expiry.
        self.assertGreaterEqual(fetches, lifetimes - 1)
        self.assertLessEqual(fetches, lifetimes + 2)


def main():
    global ARGS, grpc, user_pb2, user_pb2_grpc
    ARGS, argv = stack.parse_args(__doc__)
    import grpc
    import grpc.aio  # noqa: F401
    from wechat.mp.v1 import user_pb2, user_pb2_grpc
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
