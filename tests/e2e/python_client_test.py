"""End to end through the Python client: Python gRPC → wxgate (a process) → HTTPS →
fake_wechat (a process), with the generated stubs and client_stubs/python's helper.

    /usr/bin/python3 tests/e2e/python_client_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN --client-dir client_stubs/python

Uses unittest (the standard library), so no test runner needs to be installed; extra
arguments go to unittest (e.g. -v, -k NAME).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"  # the follower in the fake's mp_core.json
OTHER_APPID = "wx2222222222222222"       # well formed, not configured
CALL_TIMEOUT = 60.0                      # seconds; generous for a loaded machine

ARGS = None  # parsed in main()


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._resources = contextlib.ExitStack()
        try:
            cls.target, cls.appid, *_ = cls._resources.enter_context(stack.running(ARGS))
        except BaseException:
            cls._resources.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._resources.close()

    def get_user_info(self, appid, request):
        with wxgate_client.connect(self.target, appid=appid) as client:
            users = client.stub(user_pb2_grpc.UserServiceStub)
            return users.GetUserInfo(request, timeout=CALL_TIMEOUT)

    def call_failure(self, appid, request):
        with self.assertRaises(grpc.RpcError) as raised:
            self.get_user_info(appid, request)
        return raised.exception

    def test_get_user_info_returns_the_fakes_user(self):
        user = self.get_user_info(self.appid, user_pb2.GetUserInfoRequest(openid=OPENID))
        self.assertEqual(user.openid, OPENID)
        self.assertEqual(user.city, "广州")
        self.assertEqual(list(user.tagid_list), [128, 2])
        self.assertEqual(user.subscribe_scene, "ADD_SCENE_QR_CODE")

    def test_the_only_account_is_the_default(self):
        user = self.get_user_info(None, user_pb2.GetUserInfoRequest(openid=OPENID))
        self.assertEqual(user.openid, OPENID)

    def test_unknown_appid_is_not_found_with_error_info(self):
        error = self.call_failure(OTHER_APPID, user_pb2.GetUserInfoRequest(openid=OPENID))
        self.assertEqual(error.code(), grpc.StatusCode.NOT_FOUND, error.details())
        info = wxgate_client.error_info(error)
        self.assertIsNotNone(info, "no ErrorInfo in grpc-status-details-bin")
        self.assertEqual(info.reason, "UNKNOWN_APPID")
        self.assertEqual(info.metadata["appid"], OTHER_APPID)

    def test_missing_openid_is_wechats_invalid_argument(self):
        error = self.call_failure(self.appid, user_pb2.GetUserInfoRequest())
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT, error.details())
        info = wxgate_client.error_info(error)
        self.assertIsNotNone(info, "no ErrorInfo in grpc-status-details-bin")
        self.assertEqual(info.reason, "WECHAT_47001")
        self.assertEqual(info.domain, "api.weixin.qq.com")
        self.assertEqual(info.metadata["errcode"], "47001")

    def test_file_streams_up_in_pieces_and_a_download_comes_back_in_chunks(self):
        # Every byte value, so that no text codec could pass it unchanged.
        image = bytes(range(256)) * 1024
        pieces = [image[i:i + 65536] for i in range(0, len(image), 65536)]

        def requests():
            for i, piece in enumerate(pieces):
                request = material_pb2.UploadMediaRequest(media=file_pb2.UploadFile(content=piece))
                if i == 0:
                    request.type = material_pb2.MATERIAL_MEDIA_TYPE_IMAGE
                    request.media.filename = "photo.jpg"
                yield request

        with wxgate_client.connect(self.target, appid=self.appid) as client:
            material = client.stub(material_pb2_grpc.MaterialServiceStub)
            uploaded = material.UploadMedia(requests(), timeout=CALL_TIMEOUT)
            self.assertTrue(uploaded.media_id)
            chunks = list(material.GetMedia(
                material_pb2.GetMediaRequest(media_id=uploaded.media_id), timeout=CALL_TIMEOUT))
        self.assertEqual(chunks[0].file.content_type, "image/jpeg")
        data = b"".join(chunk.file.data for chunk in chunks)
        self.assertEqual(len(data), chunks[0].file.size)
        self.assertTrue(data)

    def run_example(self, appid):
        return subprocess.run(
            [sys.executable, os.path.join(ARGS.client_dir, "example.py"),
             "--target", self.target, "--appid", appid, "--openid", OPENID,
             "--stubs", ARGS.stubs_dir, "--timeout", str(CALL_TIMEOUT)],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=2 * CALL_TIMEOUT,
            env=dict(os.environ, PYTHONIOENCODING="utf-8"))

    def test_example_script_prints_the_user(self):
        run = self.run_example(self.appid)
        stderr = run.stderr.decode("utf-8", "replace")
        self.assertEqual(run.returncode, 0, stderr)
        user = json.loads(run.stdout.decode("utf-8"))
        self.assertEqual(user["openid"], OPENID)
        self.assertEqual(user["city"], "广州")
        self.assertEqual(user["tagid_list"], [128, 2])

    def test_example_script_names_the_reason_on_failure(self):
        run = self.run_example(OTHER_APPID)
        stderr = run.stderr.decode("utf-8", "replace")
        self.assertEqual(run.returncode, 1, stderr)
        self.assertIn("NOT_FOUND", stderr)
        self.assertIn("UNKNOWN_APPID", stderr)


def main():
    global ARGS, grpc, user_pb2, user_pb2_grpc, material_pb2, material_pb2_grpc, file_pb2
    global wxgate_client
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack.add_arguments(parser)
    parser.add_argument("--stubs-dir", required=True, help="the generated Python modules")
    parser.add_argument("--client-dir", required=True, help="client_stubs/python")
    ARGS, rest = parser.parse_known_args()
    if not os.path.isfile(os.path.join(ARGS.stubs_dir, "wechat", "mp", "v1", "user_pb2.py")):
        sys.exit(f"no generated stubs in {ARGS.stubs_dir}: build the target python_stubs")
    sys.path[:0] = [ARGS.stubs_dir, ARGS.client_dir]
    import grpc
    from wechat.mp.v1 import user_pb2, user_pb2_grpc, material_pb2, material_pb2_grpc
    from wxgate.file.v1 import file_pb2
    import wxgate_client
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
