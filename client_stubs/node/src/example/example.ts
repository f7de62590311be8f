// Calls wxgate from TypeScript: a follower's profile, a tag created (and one
// refused, to show a WeChat error), and with --subscribe a subscriber that answers
// every text message until interrupted.
//
//   node dist/example/example.js --target 127.0.0.1:50051 --openid o6_bm... [--subscribe]
import { parseArgs } from "node:util";
import { TagServiceClient } from "../gen/wechat/mp/v1/tag";
import { UserServiceClient } from "../gen/wechat/mp/v1/user";
import { EventFilter, EventServiceClient } from "../gen/wxgate/v1/event";
import { Gateway, Subscriber, textReply, unary, WxgateError } from "..";

async function main() {
  const { values: args } = parseArgs({
    options: {
      target: { type: "string", default: "127.0.0.1:50051" },
      appid: { type: "string" }, // default: the gateway's default account
      openid: { type: "string", default: "" },
      "api-key-env": { type: "string" }, // variable holding the caller's API key
      subscribe: { type: "boolean", default: false },
    },
  });
  const apiKey = args["api-key-env"] ? process.env[args["api-key-env"]] : undefined;
  const gateway = new Gateway(args.target!, { appid: args.appid, apiKey });

  const users = gateway.client(UserServiceClient);
  const user = await unary(users.getUserInfo.bind(users), { openid: args.openid!, lang: 0 });
  console.log(`user ${user.openid}: ${user.nickname}, ${user.city}, tags ${user.tagidList.join(",")}`);

  const tags = gateway.client(TagServiceClient);
  const created = await unary(tags.createTag.bind(tags), { tag: { id: 0, name: "VIP", count: 0 } });
  console.log(`tag created: ${created.tag?.id} ${created.tag?.name}`);
  try {
    await unary(tags.createTag.bind(tags), {}); // no tag: WeChat refuses
  } catch (error) {
    if (!(error instanceof WxgateError && error.isWeChat)) throw error;
    console.log(`tag refused: errcode ${error.errcode} (${error.errmsg}), rid "${error.rid}", reason ${error.reason}`);
  }
  if (!args.subscribe) return process.exit(0);

  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  const subscriber = new Subscriber(gateway.client(EventServiceClient), {
    request: { filter: EventFilter.fromPartial({ msgTypes: ["text"] }), replies: true },
    onRetry: (error, waitMs) => console.error(`resuming in ${waitMs} ms: ${error.message}`),
  });
  await subscriber.run((event) => {
    console.log(`${event.fromUserName} says "${event.text?.content}"`);
    return textReply(`you said: ${event.text?.content}`);
  }, stop.signal);
  process.exit(0);
}

main().catch((error) => {
  console.error(error instanceof WxgateError ? `${error.message}, metadata ${JSON.stringify(error.metadata)}` : error);
  process.exit(1);
});
