#!/usr/bin/env bash
# push_text.sh CONTENT MSGID: pushes a text message from the follower oE2eUser to the
# account, signed as WeChat signs (fake_wechat_push), and prints the HTTP answer.
# For client tests run by client_test.py, which sets the WXGATE_E2E_* variables.
set -euo pipefail
xml=$(mktemp --suffix=.xml)
trap 'rm -f "$xml"' EXIT
printf '<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[oE2eUser]]></FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%s</MsgId></xml>' \
  "$(date +%s)" "$1" "$2" >"$xml"
"$WXGATE_E2E_PUSH_BIN" --url "$WXGATE_E2E_CALLBACK_URL" --appid "$WXGATE_E2E_APPID" \
  --token_env WXGATE_E2E_CALLBACK_TOKEN "$xml"
