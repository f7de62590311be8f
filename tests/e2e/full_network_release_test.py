"""End to end: the example subscriber client_stubs/python/full_network_release.py
passes WeChat's full-network release check (全网发布), played by the fake WeChat
against a gateway serving a third-party platform and no account of its own (so
CompleteAuthorization is admitted for the platform alone).

The fake pushes, encrypted with the component's key, to the platform's message URL
for WeChat's first test account: an event (reply "LOCATIONfrom_callback"), the text
TESTCOMPONENT_MSG_TYPE_TEXT (reply "..._callback"), and QUERY_AUTH_CODE:<code> with
a code its authorization page issued (an empty answer, then the subscriber completes
the authorization through the gateway and sends "<code>_from_api" as a
customer-service message to the sender, with the test account's token).

    /usr/bin/python3 tests/e2e/full_network_release_test.py --wxgate BIN \
        --fake-wechat BIN --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN
"""

import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import component_flow  # noqa: E402
import stack  # noqa: E402
from component_flow import COMPONENT, COMPONENT_KEY, COMPONENT_TOKEN  # noqa: E402

ARGS = None
TIMEOUT = 60
EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "client_stubs",
                       "python", "full_network_release.py")
TEST_ACCOUNT = "wx570bc396a51b8ff8"  # WeChat's first test Official Account
TEST_ACCOUNT_NAME = "gh_3c884a361561"
USER = "ozy4qt5QUADNXORxCVipKMV9dss0"
CUSTOM_SEND = "/cgi-bin/message/custom/send"


def push_xml(msg_type, body):
    return (f"<xml><ToUserName><![CDATA[{TEST_ACCOUNT_NAME}]]></ToUserName>"
            f"<FromUserName><![CDATA[{USER}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>")


def text_xml(content, msg_id):
    return push_xml("text", f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>")


def reply_content(body):
    """The Content of a passive text reply's XML, or None."""
    match = re.search(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", body)
    return match.group(1) if match else None


class FullNetworkReleaseTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="wxgate-e2e-release-")
        self.processes, self.logs = [], []
        self.failed = True

    def tearDown(self):
        codes = [stack._stop(p) for p in reversed(self.processes)]
        try:
            stack.report(self.logs, self.failed, codes)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def push(self, xml):
        """Pushes xml as WeChat does for the test account; returns the gateway's
        answer (a passive reply decrypted)."""
        pushed = stack.fake_request(ARGS, self.fake_port, "/fake/component/push_message", {
            "component_appid": COMPONENT, "xml": xml, "token": COMPONENT_TOKEN,
            "encoding_aes_key": COMPONENT_KEY,
            "url": f"{self.base}/wechat/component/{COMPONENT}/callback/{TEST_ACCOUNT}"})
        self.assertEqual(pushed.get("http_status"), 200, pushed)
        return pushed["body"]

    def subscribers(self):
        url = f"http://127.0.0.1:{self.admin_port}/metrics"
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            return re.search(r"^wxgate_subscribers (\S+)$", answer.read().decode(), re.M)

    def test_the_example_subscriber_passes_the_check(self):
        fake, self.fake_port = stack.start_fake(ARGS, self.workdir, component_flow.FAKE_ARGS)
        self.processes.append(fake)
        self.logs.append(("fake_wechat", os.path.join(self.workdir, "fake_wechat.log")))
        self.admin_port = stack.free_port()
        config, ports = stack.write_gateway_config(
            ARGS, self.workdir, "wxgate", self.fake_port,
            extra=component_flow.config(os.path.join(self.workdir, "secrets")),
            server_extra=f'  admin_listen: "127.0.0.1:{self.admin_port}"\n', account=False)
        log = os.path.join(self.workdir, "wxgate.log")
        self.logs.append(("wxgate", log))
        gateway = stack.start_gateway(ARGS, config, ports, log)
        self.processes.append(gateway.process)
        self.assertIn("0 account(s)", stack._read(log), "a gateway for the platform alone")
        self.base = f"http://127.0.0.1:{ports[1]}"
        component_flow.push(ARGS, self.fake_port, self.base, component_flow.PUSH_TICKET)

        example_log = os.path.join(self.workdir, "example.log")
        self.logs.append(("full_network_release.py", example_log))
        example = stack._start([sys.executable, EXAMPLE, "--target", gateway.target,
                                "--stubs", ARGS.stubs_dir], example_log)
        self.processes.append(example)
        stack.wait_until(lambda: (m := self.subscribers()) and float(m.group(1)) == 1, TIMEOUT,
                         "the example subscribed", example, example_log)

        self.assertEqual(reply_content(self.push(push_xml(
            "event", "<Event><![CDATA[LOCATION]]></Event><Latitude>23.1</Latitude>"
            "<Longitude>113.3</Longitude><Precision>119.4</Precision>"))),
            "LOCATIONfrom_callback")
        self.assertEqual(reply_content(self.push(text_xml("TESTCOMPONENT_MSG_TYPE_TEXT", 1))),
                         "TESTCOMPONENT_MSG_TYPE_TEXT_callback")

        # The authorization page's code for the test account, as WeChat hands it over.
        code = stack.fake_request(ARGS, self.fake_port, component_flow.AUTHORIZE, {
            "component_appid": COMPONENT, "authorizer_appid": TEST_ACCOUNT, "func_info": [1],
            "push": False})["authorization_code"]
        self.assertIn(self.push(text_xml(f"QUERY_AUTH_CODE:{code}", 2)), ("", "success"))
        stack.wait_until(
            lambda: stack.fake_request(ARGS, self.fake_port, "/fake/stats")["calls"].get(
                CUSTOM_SEND), TIMEOUT, "the customer-service message sent", example, example_log)
        sent = stack.fake_request(ARGS, self.fake_port, f"/fake/last?path={CUSTOM_SEND}")
        self.assertEqual(json.loads(sent["body"]),
                         {"touser": USER, "msgtype": "text",
                          "text": {"content": f"{code}_from_api"}})
        issued = component_flow.issued(ARGS, self.fake_port)
        self.assertIn(sent["query"]["access_token"], issued["authorizer_access_token"],
                      "sent with an authorizer's token")
        self.failed = False


def main():
    global ARGS
    ARGS, rest = stack.parse_args(__doc__)
    unittest.main(argv=rest)


if __name__ == "__main__":
    main()
