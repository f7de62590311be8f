// @wxgate/client: the helper over the generated clients in ./gen (import those
// from "@wxgate/client/gen/wechat/mp/v1/user" and the like).
export { APPID_KEY, Gateway, GatewayOptions, accountMetadata } from "./connect";
export { WECHAT_DOMAIN, WxgateError, unary } from "./errors";
export { CursorStore, Handler, MemoryCursorStore, Subscriber, SubscriberOptions, replyTo, textReply } from "./events";
export { PIECE_SIZE, download, pieces, upload, uploadMedia } from "./files";
