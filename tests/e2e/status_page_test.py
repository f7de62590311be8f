"""The status page in a real browser, and the status it shows over gRPC.

Headless Chromium (Debian's chromium and chromium-driver, driven by Selenium) opens
/status on the admin listener of a gateway in front of the fake WeChat. The page asks
for an API key; once given one it shows the account with its token's expiry, the
subscriber, and, after the test sends a push, the new event. Every wait is on a
condition. A screenshot goes to --artifacts-dir/status_page.png.

Then wxgate.v1.AdminService/GetStatus over gRPC and /status.json over HTTP: the same
callers and policies (401, 403, cut to the caller's appids).

The gateway also serves a third-party platform: once the fake pushed its ticket and
an account authorized it, GetStatus and the page list the platform (ticket known,
its token) and the authorizer with its permission sets and token.

    /usr/bin/python3 tests/e2e/status_page_test.py --wxgate BIN --fake-wechat BIN \
        --cert-dir DIR --endpoints-dir DIR --stubs-dir GEN --artifacts-dir DIR \
        --chromium /usr/bin/chromium --chromedriver /usr/bin/chromedriver
"""

import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import component_flow  # noqa: E402
import stack  # noqa: E402
from wechat_push import TIMEOUT, push, text_push  # noqa: E402

ARGS = None
OPS_KEY = "e2e-status-ops-key-5b1d"  # may see every account
CRM_KEY = "e2e-status-crm-key-8c2e"  # may call GetStatus for the account, not for "*"
APP_KEY = "e2e-status-app-key-3f9a"  # may call WeChat's services, not GetStatus


def digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


ACCESS = f"""callers:
    - name: ops
      api_key_sha256: ["{digest(OPS_KEY)}"]
      policy: {{appids: ["*"], methods: ["*"]}}
    - name: crm
      api_key_sha256: ["{digest(CRM_KEY)}"]
      policy: {{appids: ["{stack.APPID}"], methods: ["wxgate.v1.AdminService/*"]}}
    - name: app
      api_key_sha256: ["{digest(APP_KEY)}"]
      policy: {{appids: ["*"], methods: ["wechat.mp.v1.*"]}}"""

# Chromium must not call home: nothing but loopback may see traffic.
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--window-size=1280,1000", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
    "--disable-client-side-phishing-detection", "--metrics-recording-only",
]


def metadata(key):
    return [("authorization", f"Bearer {key}")]


def status_json(port, key=None):
    """(HTTP status, parsed JSON or the error's text) of /status.json."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/status.json",
                                     headers=dict(metadata(key)) if key else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            assert answer.headers["Cache-Control"] == "no-store"
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def seconds_of(text):
    """Seconds in the page's durations: "1h 59m 58s" -> 7198."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([dhms])\b", text)
    assert parts and " ".join(n + u for n, u in parts) == text, text
    return sum(int(n) * units[u] for n, u in parts)


class StatusPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin_port = stack.free_port()
        cls.secrets_dir = tempfile.mkdtemp(prefix="wxgate-e2e-status-")
        cls.running = stack.running(
            ARGS, access=ACCESS, server_extra=f'  admin_listen: "127.0.0.1:{cls.admin_port}"\n',
            extra=component_flow.config(cls.secrets_dir), fake_args=component_flow.FAKE_ARGS)
        cls.stack = cls.running.__enter__()
        cls.channel = grpc.insecure_channel(cls.stack.target)
        cls.admin = admin_pb2_grpc.AdminServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.running.__exit__(None, None, None)
        shutil.rmtree(cls.secrets_dir, ignore_errors=True)

    def get_status(self, key=OPS_KEY):
        return self.admin.GetStatus(admin_pb2.GetStatusRequest(), metadata=metadata(key),
                                    timeout=TIMEOUT)

    def test_the_page_shows_the_account_its_token_and_a_new_event(self):
        # A call makes the gateway fetch the account's token; a subscriber listens.
        users = user_pb2_grpc.UserServiceStub(self.channel)
        users.GetUserInfo(user_pb2.GetUserInfoRequest(openid="o6_bmjrPTlm6_2sgVt7hMZOPfL2M"),
                          metadata=metadata(OPS_KEY), timeout=TIMEOUT)
        filter_ = event_pb2.EventFilter(appids=[self.stack.appid], msg_types=["text"])
        subscription = event_pb2_grpc.EventServiceStub(self.channel).Subscribe(
            event_pb2.SubscribeRequest(filter=filter_), metadata=metadata(OPS_KEY))
        self.addCleanup(subscription.cancel)
        stack.wait_until(lambda: any(s.filter.msg_types == ["text"]
                                     for s in self.get_status().subscribers),
                         TIMEOUT, "the subscriber listed")

        driver = self.start_browser()
        wait = WebDriverWait(driver, TIMEOUT)
        driver.get(f"http://127.0.0.1:{self.admin_port}/status")
        # No key yet: the page asks for one.
        wait.until(EC.visibility_of_element_located((By.ID, "api-key")))
        driver.find_element(By.ID, "api-key").send_keys(OPS_KEY)
        driver.find_element(By.CSS_SELECTOR, "#login button").click()

        appid_cell = (By.XPATH, f"//table[@id='accounts']//td[text()='{self.stack.appid}']")
        wait.until(EC.visibility_of_element_located(appid_cell))
        expires_in = driver.find_element(
            By.XPATH, f"//table[@id='accounts']//tr[td[text()='{self.stack.appid}']]"
                      "/td[contains(@class, 'expires-in')]").text
        token = self.get_status().accounts[0].tokens[0]
        generated = self.get_status().gateway.generated_time.seconds
        left = token.expires_at.seconds - generated
        self.assertGreater(left, 7000)
        self.assertLess(abs(seconds_of(expires_in) - left), 120, expires_in)
        subscriber = (By.XPATH, "//table[@id='subscribers']//tr[td[text()='ops'] and "
                                f"td[text()='appids {self.stack.appid}; types text']]")
        wait.until(EC.visibility_of_element_located(subscriber))
        self.assertIn("no event yet", driver.find_element(By.ID, "events").text)

        self.assertEqual(push(self.stack.callback_url, text_push("status-page-secret-words", 71)),
                         (200, "success"))
        event_row = (By.XPATH, f"//table[@id='events']//tr[td[text()='{self.stack.appid}'] and "
                               "td[text()='text']]")
        wait.until(EC.visibility_of_element_located(event_row))
        newest = self.get_status().latest_events[0]
        self.assertEqual(driver.find_element(By.CSS_SELECTOR, "#events td.id").text, newest.id)
        # A push signed with the wrong token is refused, and counted under its reason.
        self.assertEqual(push(self.stack.callback_url, text_push("forged", 72), token="wrong")[0],
                         403)
        wait.until(EC.text_to_be_present_in_element((By.ID, "callbacks"), "signature ×1"))
        wait.until(EC.text_to_be_present_in_element((By.ID, "upstream"),
                                                    "wechat.mp.v1.UserService"))
        self.assertNotIn("status-page-secret-words", driver.page_source)
        self.assertNotIn(OPS_KEY, driver.page_source)
        self.save_screenshot(driver)

    def test_the_platform_and_its_authorizer_are_listed_with_their_sets_and_tokens(self):
        base = component_flow.callback_base(self.stack.callback_url)
        component_flow.push(ARGS, self.stack.fake_port, base, component_flow.PUSH_TICKET)
        component_flow.push(ARGS, self.stack.fake_port, base, component_flow.AUTHORIZE,
                            authorizer_appid=component_flow.AUTHORIZER, func_info=[1, 2])
        status = self.get_status()
        self.assertEqual(len(status.components), 1)
        platform = status.components[0]
        self.assertEqual(platform.component_appid, component_flow.COMPONENT)
        self.assertTrue(platform.ticket_known)
        generated = status.gateway.generated_time.seconds
        self.assertLessEqual(platform.ticket_received_time.seconds, generated)
        self.assertGreater(platform.ticket_received_time.seconds, generated - 600)
        token = platform.component_access_token
        self.assertEqual(token.kind, token_pb2.TOKEN_KIND_COMPONENT_ACCESS_TOKEN)
        self.assertTrue(token.valid)
        self.assertEqual((token.fetches, token.failed_fetches), (1, 0))  # for api_query_auth
        self.assertGreater(token.expires_at.seconds - generated, 7000)
        self.assertEqual(platform.authorizer_count, 1)
        self.assertEqual(len(platform.authorizers), 1)
        authorizer = platform.authorizers[0]
        self.assertEqual(authorizer.appid, component_flow.AUTHORIZER)
        self.assertEqual(authorizer.grant, admin_pb2.GRANT_STATE_AUTHORIZED)
        self.assertEqual([(p.id, p.name) for p in authorizer.permission_sets],
                         [(1, "Message management"), (2, "User management")])
        self.assertEqual(len(authorizer.tokens), 1)
        self.assertEqual(authorizer.tokens[0].kind, token_pb2.TOKEN_KIND_ACCESS_TOKEN)
        self.assertTrue(authorizer.tokens[0].valid)
        # The exchange brought the token: no fetch of WeChat's for it yet.
        self.assertEqual(authorizer.tokens[0].fetches, 0)
        # A caller allowed only the account does not see the platform.
        self.assertEqual(len(self.get_status(CRM_KEY).components), 0)
        code, body = status_json(self.admin_port, OPS_KEY)
        self.assertEqual(code, 200, body)
        self.assertEqual(body["components"][0]["authorizers"][0]["permissionSets"],
                         [{"id": 1, "name": "Message management"},
                          {"id": 2, "name": "User management"}])
        self.assertEqual(body["components"][0]["authorizerCount"], "1")  # int64: a string

        driver = self.start_browser()
        wait = WebDriverWait(driver, TIMEOUT)
        driver.get(f"http://127.0.0.1:{self.admin_port}/status")
        wait.until(EC.visibility_of_element_located((By.ID, "api-key")))
        driver.find_element(By.ID, "api-key").send_keys(OPS_KEY)
        driver.find_element(By.CSS_SELECTOR, "#login button").click()
        row = (By.XPATH, f"//table[@id='authorizers']//tr[td[text()='{component_flow.AUTHORIZER}']"
                         " and td[text()='authorized'] and "
                         "td[text()='1 Message management, 2 User management'] and "
                         "td[text()='access_token'] and td[text()='valid']]")
        wait.until(EC.visibility_of_element_located(row))
        platform_row = (By.XPATH, f"//table[@id='components']//tr[td[text()='{component_flow.COMPONENT}']"
                                  " and td[text()='valid'] and td[starts-with(text(), 'pushed ')]]")
        wait.until(EC.visibility_of_element_located(platform_row))
        for issued in component_flow.issued(ARGS, self.stack.fake_port).values():
            for value in issued:
                self.assertNotIn(value, driver.page_source)
                self.assertNotIn(value, json.dumps(body))
        self.save_screenshot(driver, "status_page_platform.png")

    def test_a_refused_key_shows_the_form_again(self):
        driver = self.start_browser()
        wait = WebDriverWait(driver, TIMEOUT)
        driver.get(f"http://127.0.0.1:{self.admin_port}/status")
        wait.until(EC.visibility_of_element_located((By.ID, "api-key")))
        driver.find_element(By.ID, "api-key").send_keys("not-a-key")
        driver.find_element(By.CSS_SELECTOR, "#login button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "state"), "not accepted"))
        self.assertTrue(driver.find_element(By.ID, "api-key").is_displayed())

    def test_get_status_over_grpc_is_cut_to_the_callers_policy(self):
        events = event_pb2_grpc.EventServiceStub(self.channel)
        one_account = events.Subscribe(event_pb2.SubscribeRequest(
            filter=event_pb2.EventFilter(appids=[self.stack.appid]), group="status-one"),
            metadata=metadata(OPS_KEY))
        self.addCleanup(one_account.cancel)
        every_account = events.Subscribe(event_pb2.SubscribeRequest(group="status-all"),
                                         metadata=metadata(OPS_KEY))
        self.addCleanup(every_account.cancel)

        def groups(key):
            return {s.group for s in self.get_status(key).subscribers}
        stack.wait_until(lambda: {"status-one", "status-all"} <= groups(OPS_KEY), TIMEOUT,
                         "both subscribers listed")
        everything = self.get_status()
        self.assertEqual([a.appid for a in everything.accounts], [self.stack.appid])
        self.assertTrue(everything.gateway.replica)
        self.assertEqual(everything.window.seconds, 300)
        # Allowed the account but not "*": not the subscriber of every account.
        crm = groups(CRM_KEY)
        self.assertIn("status-one", crm)
        self.assertNotIn("status-all", crm)
        self.assertEqual([a.appid for a in self.get_status(CRM_KEY).accounts], [self.stack.appid])
        with self.assertRaises(grpc.RpcError) as refused:
            self.get_status(APP_KEY)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        with self.assertRaises(grpc.RpcError) as unknown:
            self.admin.GetStatus(admin_pb2.GetStatusRequest(), timeout=TIMEOUT)
        self.assertEqual(unknown.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def test_status_json_is_admitted_like_grpc(self):
        code, body = status_json(self.admin_port, OPS_KEY)
        self.assertEqual(code, 200, body)
        self.assertEqual(body["accounts"][0]["appid"], self.stack.appid)
        self.assertEqual(status_json(self.admin_port)[0], 401)
        self.assertEqual(status_json(self.admin_port, "wrong")[0], 401)
        self.assertEqual(status_json(self.admin_port, APP_KEY)[0], 403)
        self.assertEqual(status_json(self.admin_port, CRM_KEY)[0], 200)
        # The account's access_token itself, as TokenService hands it out, is not in it.
        token = token_pb2_grpc.TokenServiceStub(self.channel).GetAccessToken(
            token_pb2.GetAccessTokenRequest(), metadata=metadata(OPS_KEY), timeout=TIMEOUT)
        code, body = status_json(self.admin_port, OPS_KEY)
        self.assertEqual(code, 200, body)
        for secret in (token.access_token, stack.SECRET, stack.CALLBACK_TOKEN, OPS_KEY):
            self.assertNotIn(secret, json.dumps(body))

    def test_status_json_follows_the_rules_reloaded_on_sighup(self):
        port = stack.free_port()
        with stack.running(ARGS, access=ACCESS,
                           server_extra=f'  admin_listen: "127.0.0.1:{port}"\n') as s:
            self.assertEqual(status_json(port, OPS_KEY)[0], 200)
            new_key = "e2e-status-rotated-key-0d4e"
            with open(s.config, encoding="utf-8") as f:
                config = f.read()
            with open(s.config, "w", encoding="utf-8") as f:
                f.write(config.replace(digest(OPS_KEY), digest(new_key)))
            before = stack._read(s.log).count("access_reloaded")
            s.gateway.send_signal(signal.SIGHUP)
            stack.wait_until(lambda: stack._read(s.log).count("access_reloaded") > before,
                             TIMEOUT, "access_reloaded", s.gateway, s.log)
            self.assertEqual(status_json(port, OPS_KEY)[0], 401)
            self.assertEqual(status_json(port, new_key)[0], 200)

    def start_browser(self):
        profile = tempfile.mkdtemp(prefix="wxgate-chromium-")
        self.addCleanup(shutil.rmtree, profile, ignore_errors=True)
        options = webdriver.ChromeOptions()
        options.binary_location = ARGS.chromium
        for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=ChromeService(executable_path=ARGS.chromedriver),
                                  options=options)
        self.addCleanup(driver.quit)
        return driver

    def save_screenshot(self, driver, name="status_page.png"):
        os.makedirs(ARGS.artifacts_dir, exist_ok=True)
        # The whole page, not only the window: the viewport grows to the page's height.
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": min(int(height), 3000), "deviceScaleFactor": 1,
            "mobile": False})
        path = os.path.join(ARGS.artifacts_dir, name)
        self.assertTrue(driver.save_screenshot(path))
        print(f"screenshot: {path}", file=sys.stderr)


def main():
    global ARGS, grpc, webdriver, ChromeService, By, EC, WebDriverWait
    global admin_pb2, admin_pb2_grpc, event_pb2, event_pb2_grpc, token_pb2, token_pb2_grpc
    global user_pb2, user_pb2_grpc
    ARGS, argv = stack.parse_args(__doc__,
                                  required=["--artifacts-dir", "--chromium", "--chromedriver"])
    import grpc
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as ChromeService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    from wechat.mp.v1 import user_pb2, user_pb2_grpc
    from wxgate.v1 import admin_pb2, admin_pb2_grpc, event_pb2, event_pb2_grpc
    from wxgate.v1 import token_pb2, token_pb2_grpc
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
