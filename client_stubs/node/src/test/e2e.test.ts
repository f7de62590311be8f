// The TypeScript client against a live gateway and the fake WeChat.
// tests/e2e/client_test.py starts them and sets WXGATE_E2E_*; without those the
// tests are skipped. Run by ctest as e2e_node_client (npm run build && npm test).
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { Event } from "../gen/wechat/mp/v1/events";
import { MaterialMediaType, MaterialServiceClient } from "../gen/wechat/mp/v1/material";
import { TagServiceClient } from "../gen/wechat/mp/v1/tag";
import { UserServiceClient } from "../gen/wechat/mp/v1/user";
import { EventFilter, EventServiceClient } from "../gen/wxgate/v1/event";
import { accountMetadata, download, Gateway, GatewayOptions, MemoryCursorStore, PIECE_SIZE, Subscriber, textReply, unary, uploadMedia, WxgateError } from "..";

const { WXGATE_E2E_TARGET: target, WXGATE_E2E_APPID: appid, WXGATE_E2E_OPENID: openid = "" } = process.env;
const OTHER_APPID = "wx2222222222222222"; // well formed, not configured
const TIMEOUT_MS = 60_000;
const run = promisify(execFile);

/** Pushes a text message through the fake's push tool; returns the HTTP answer. */
async function push(content: string, msgId: number): Promise<string> {
  const { stdout } = await run(process.env.WXGATE_E2E_PUSH_TEXT!, [content, String(msgId)]);
  assert.match(stdout, /HTTP 200/);
  return stdout;
}

async function rejection(promise: Promise<unknown>): Promise<WxgateError> {
  const error = await promise.then(
    () => assert.fail("the call succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WxgateError, `not a WxgateError: ${error}`);
  return error;
}

describe("wxgate TypeScript client", { skip: !target && "no live gateway: run through tests/e2e/client_test.py" }, () => {
  const gateway = new Gateway(target!, { appid });
  const users = gateway.client(UserServiceClient);
  after(() => users.close());

  test("GetUserInfo returns the fake's follower", async () => {
    const user = await unary(users.getUserInfo.bind(users), { openid, lang: 0 });
    assert.equal(user.openid, openid);
    assert.equal(user.city, "广州");
    assert.deepEqual(user.tagidList, [128, 2]);
  });

  test("a WeChat error decodes to errcode, errmsg and reason", async () => {
    const tags = gateway.client(TagServiceClient);
    const error = await rejection(unary(tags.createTag.bind(tags), {})); // no tag: WeChat's 47001
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(error.reason, "WECHAT_47001");
    assert.ok(error.isWeChat);
    assert.equal(error.errcode, 47001);
    assert.match(error.errmsg, /data format error/);
    const created = await unary(tags.createTag.bind(tags), { tag: { id: 0, name: "广东", count: 0 } });
    assert.ok(created.tag!.id > 0);
    tags.close();
  });

  test("the gateway's own reason for an unknown account", async () => {
    const error = await rejection(unary(users.getUserInfo.bind(users), { openid, lang: 0 }, accountMetadata(OTHER_APPID)));
    assert.equal(error.code, grpc.status.NOT_FOUND);
    assert.equal(error.reason, "UNKNOWN_APPID");
    assert.equal(error.metadata.appid, OTHER_APPID);
    assert.ok(!error.isWeChat);
  });

  test("the API key goes out with every call", async () => {
    // Anonymous callers are let in; a key no caller has is refused, never ignored.
    const keyed = new Gateway(target!, { appid, apiKey: "not-a-configured-key" }).client(UserServiceClient);
    const error = await rejection(unary(keyed.getUserInfo.bind(keyed), { openid, lang: 0 }));
    assert.equal(error.reason, "CALLER_UNAUTHENTICATED");
    keyed.close();
  });

  test("mTLS: the certificate's caller is let in, TLS without one is refused", async (t) => {
    const { WXGATE_E2E_MTLS_TARGET: mtlsTarget, WXGATE_E2E_CA_FILE: caFile } = process.env;
    if (!mtlsTarget) return t.skip("no mTLS gateway: run through tests/e2e/client_test.py");
    const getUser = async (tls: GatewayOptions["tls"]) => {
      const client = new Gateway(mtlsTarget, { appid, tls }).client(UserServiceClient);
      try {
        return await unary(client.getUserInfo.bind(client), { openid, lang: 0 }, undefined, { deadline: Date.now() + TIMEOUT_MS });
      } finally {
        client.close();
      }
    };
    const { WXGATE_E2E_CLIENT_CERT: certFile, WXGATE_E2E_CLIENT_KEY: keyFile } = process.env;
    const user = await getUser({ caFile, certFile, keyFile });
    assert.equal(user.openid, openid);
    assert.equal(user.city, "广州");

    // TLS alone, trusting the same CA: the handshake fails, so the call never reaches
    // the gateway's admission (which would say why, in an ErrorInfo).
    const error = await getUser({ caFile }).then(
      () => assert.fail("the call without a client certificate succeeded"),
      (e: grpc.ServiceError) => e,
    );
    assert.ok(!(error instanceof WxgateError), `${error}`);
    assert.equal(error.code, grpc.status.UNAVAILABLE, `${error}`);
    t.diagnostic(`without a client certificate: ${error.message}`);
  });

  test("an upload streams up in pieces and a download comes back", async () => {
    const material = gateway.client(MaterialServiceClient);
    const image = Buffer.alloc(3 * PIECE_SIZE + 1000, 0xd8);
    let read = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < image.length; i += 10_000) {
          read += Math.min(10_000, image.length - i);
          yield image.subarray(i, i + 10_000);
        }
      })(),
    );
    const image_type = MaterialMediaType.MATERIAL_MEDIA_TYPE_IMAGE;
    const uploaded = await uploadMedia(material, image_type, source, "photo.jpg");
    assert.ok(uploaded.mediaId);
    assert.equal(read, image.length);
    const dir = mkdtempSync(join(tmpdir(), "wxgate-node-"));
    writeFileSync(join(dir, "photo.jpg"), image);
    assert.ok((await uploadMedia(material, image_type, join(dir, "photo.jpg"))).mediaId);

    const path = join(dir, "download");
    const meta = await download(material.getMedia({ mediaId: uploaded.mediaId }), path);
    const written = readFileSync(path);
    assert.equal(meta.contentType, "image/jpeg");
    assert.ok(written.length > 0);
    assert.equal(String(written.length), meta.size);
    const parts: Buffer[] = [];
    const sink = new Writable({ write: (chunk, _, done) => (parts.push(chunk), done()) });
    await download(material.getMedia({ mediaId: uploaded.mediaId }), sink);
    assert.deepEqual(Buffer.concat(parts), written);
    material.close();
  });

  test("a subscriber replies, is cut, resumes without loss or repeat", async () => {
    let live: grpc.InterceptingCall | undefined;
    const cutter: grpc.Interceptor = (options, nextCall) => {
      const call = new grpc.InterceptingCall(nextCall(options));
      if (options.method_definition.path === "/wxgate.v1.EventService/Subscribe") live = call;
      return call;
    };
    const events = new Gateway(target!, { appid, interceptors: [cutter] }).client(EventServiceClient);
    const handled = new PassThrough({ objectMode: true });
    const got: { content: string; cursor: bigint }[] = [];
    const iterator = handled[Symbol.asyncIterator]() as AsyncIterator<{ content: string; cursor: bigint }>;
    let pending: Promise<IteratorResult<{ content: string; cursor: bigint }>> | undefined;
    // The next handled event, or undefined after ms.
    const poll = async (ms: number) => {
      pending ??= iterator.next();
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([pending, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
      clearTimeout(timer);
      if (result === undefined) return undefined;
      pending = undefined;
      return result.value;
    };
    const next = async () => (await poll(TIMEOUT_MS)) ?? assert.fail("no event within the timeout");
    const store = new MemoryCursorStore();
    let retries = 0;
    const start = () => {
      const stop = new AbortController();
      const subscriber = new Subscriber(events, {
        request: { filter: EventFilter.fromPartial({ msgTypes: ["text"] }), replies: true },
        store,
        onRetry: () => retries++,
      });
      const done = subscriber.run((event: Event) => {
        handled.write({ content: event.text!.content, cursor: BigInt(event.cursor) });
        return textReply(`re: ${event.text!.content}`);
      }, stop.signal);
      return async () => (stop.abort(), done);
    };
    let stop = start();

    // Live only: push until a push is delivered and replied to in the HTTP answer.
    const pushed: string[] = [];
    let msgId = 5000;
    for (const deadline = Date.now() + TIMEOUT_MS; ; ) {
      const content = `hello ${++msgId}`;
      if ((await push(content, msgId)).includes(`<Content><![CDATA[re: ${content}]]></Content>`)) {
        pushed.push(content);
        break;
      }
      assert.ok(Date.now() < deadline, "no reply in the HTTP answer");
      await new Promise((r) => setTimeout(r, 50));
    }
    let first = await next();
    while (first.content !== pushed[0] && first.content.startsWith("hello ")) first = await next();
    got.push(first);

    live!.cancelWithStatus(grpc.status.UNAVAILABLE, "cut by the test");
    for (const content of ["during the cut 1", "during the cut 2", "after the cut"]) {
      await push(content, ++msgId);
      pushed.push(content);
    }
    while (got.length < pushed.length) got.push(await next());
    assert.ok(retries > 0, "the subscriber never resumed: was the stream cut?");

    // A new subscriber on the same store starts after the last handled cursor.
    await stop();
    await push("while stopped", ++msgId);
    pushed.push("while stopped");
    stop = start();
    got.push(await next());
    await stop();

    assert.deepEqual(
      got.map((h) => h.content),
      pushed,
    );
    for (let i = 1; i < got.length; i++) assert.ok(got[i].cursor > got[i - 1].cursor, `cursor ${got[i].cursor} after ${got[i - 1].cursor}`);
    assert.equal(await poll(1000), undefined, "an event delivered twice or unexpected");
    events.close();
  });
});

describe("the TypeScript example", { skip: !target && "no live gateway" }, () => {
  test("prints the user and a refused tag, and replies to a text message", async () => {
    const { spawn } = await import("node:child_process");
    const example = spawn(process.execPath, [join(__dirname, "../example/example.js"), "--target", target!, "--appid", appid!, "--openid", openid, "--subscribe"]);
    let output = "";
    example.stdout.on("data", (d) => (output += d));
    example.stderr.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => example.on("exit", resolve));
    try {
      for (let msgId = 7000, deadline = Date.now() + TIMEOUT_MS; ; msgId++) {
        if ((await push("hi example", msgId)).includes("you said: hi example")) break;
        assert.ok(Date.now() < deadline, `the example never replied; its output:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      example.kill("SIGINT");
    }
    assert.equal(await exited, 0, output);
    for (const want of ["广州, tags 128,2", "tag created: 134", "errcode 47001", 'oE2eUser says "hi example"']) {
      assert.ok(output.includes(want), `the example's output lacks ${want}:\n${output}`);
    }
  });
});
