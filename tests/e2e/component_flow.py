"""A third-party platform (component) for stack tests: its configuration, and
WeChat's side of its flow, played by the fake: a component_verify_ticket pushed,
an account authorizing or unauthorizing the platform.

    extra = component_flow.config(secrets_dir)   # the YAML `components:` section
    fake, port = stack.start_fake(args, workdir, component_flow.FAKE_ARGS)
    component_flow.push(args, fake_port, "http://127.0.0.1:CALLBACK_PORT",
                        component_flow.PUSH_TICKET)
    component_flow.push(args, fake_port, base, component_flow.AUTHORIZE,
                        authorizer_appid=component_flow.AUTHORIZER, func_info=[1, 2])
    component_flow.issued(args, fake_port)["authorizer_refresh_token"]   # every one
"""

import os

import stack

COMPONENT = "wx2222222222222222"
COMPONENT_SECRET = "e2e-component-secret-0123456789ab"
COMPONENT_TOKEN = "e2e-component-token"
COMPONENT_KEY = "e2eComponentKey0123456789abcdefghijklmnopqr"  # 43 characters
AUTHORIZER = "wx5555555555555555"

# The fake's routes that push as WeChat does.
PUSH_TICKET = "/fake/component/push_ticket"
AUTHORIZE = "/fake/component/authorize"
UNAUTHORIZE = "/fake/component/unauthorize"

# The fake knows the platform; its authorize route waits for the gateway's answer
# while the gateway calls the fake back (api_query_auth): it needs threads to spare.
FAKE_ARGS = ("--account", f"{COMPONENT}:{COMPONENT_SECRET}", "--threads", "4")


def config(secrets_dir):
    """Writes the platform's secrets as files into secrets_dir; returns the YAML
    `components:` section that reads them."""
    os.makedirs(secrets_dir, exist_ok=True)
    files = {}
    for what, value in (("secret", COMPONENT_SECRET), ("token", COMPONENT_TOKEN),
                        ("key", COMPONENT_KEY)):
        files[what] = os.path.join(secrets_dir, what)
        with open(files[what], "w", encoding="utf-8") as f:
            f.write(value)
    return f"""components:
  - component_appid: {COMPONENT}
    secret: {{file: "{files['secret']}"}}
    token: {{file: "{files['token']}"}}
    encoding_aes_key: {{file: "{files['key']}"}}
"""


def callback_base(callback_url):
    """ "http://127.0.0.1:PORT" of a Stack's callback_url."""
    return callback_url.split("/wechat/", 1)[0]


def push(args, fake_port, base, route, **body):
    """Has the fake push (route) to the platform's callback path on `base`; raises
    AssertionError unless the gateway answered 200 "success"."""
    body.update({"component_appid": COMPONENT, "url": f"{base}/wechat/component/{COMPONENT}",
                 "token": COMPONENT_TOKEN, "encoding_aes_key": COMPONENT_KEY})
    pushed = stack.fake_request(args, fake_port, route, body)
    if (pushed.get("http_status"), pushed.get("body")) != (200, "success"):
        raise AssertionError(f"{route}: the gateway answered {pushed}")
    return pushed


def issued(args, fake_port):
    """Every credential the fake issued, by kind ("authorizer_refresh_token": [...])."""
    return stack.fake_request(args, fake_port, "/fake/stats")["issued"]
