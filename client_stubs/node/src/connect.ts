// A gateway connection whose calls carry the account (x-wx-appid) and the caller's
// credentials (API key, TLS or mTLS), for any generated client:
//
//   const gw = new Gateway("127.0.0.1:50051", { appid: "wx1111111111111111" });
//   const users = gw.client(UserServiceClient);
//   const user = await unary(users.getUserInfo.bind(users), { openid: "o6_bm..." });
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";

/** The metadata key naming the WeChat account a call is for. */
export const APPID_KEY = "x-wx-appid";

export interface GatewayOptions {
  /** The account of every call that does not name one (accountMetadata). */
  appid?: string;
  /** The caller's API key, sent as "authorization: Bearer KEY" on every call. */
  apiKey?: string;
  /** TLS: the CA to trust (PEM file; default the system's) and, for mTLS, the
   * client certificate and key. Without it the connection is plaintext. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Further interceptors and channel options. */
  interceptors?: grpc.Interceptor[];
  channelOptions?: grpc.ChannelOptions;
}

/** Metadata for one call to another account than the gateway's default. */
export function accountMetadata(appid: string, metadata = new grpc.Metadata()): grpc.Metadata {
  metadata.set(APPID_KEY, appid);
  return metadata;
}

/** Adds `key: value` to each call's metadata unless the call sets that key itself. */
function defaultMetadata(key: string, value: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (metadata.get(key).length === 0) metadata.set(key, value);
        next(metadata, listener);
      },
    });
}

export class Gateway {
  readonly credentials: grpc.ChannelCredentials;
  private readonly options: grpc.ClientOptions;

  constructor(readonly target: string, opts: GatewayOptions = {}) {
    const interceptors: grpc.Interceptor[] = [];
    if (opts.appid) interceptors.push(defaultMetadata(APPID_KEY, opts.appid));
    if (opts.tls) {
      const read = (file?: string) => (file ? readFileSync(file) : null);
      let creds = grpc.credentials.createSsl(read(opts.tls.caFile), read(opts.tls.keyFile), read(opts.tls.certFile));
      if (opts.apiKey) {
        const key = opts.apiKey;
        creds = creds.compose(
          grpc.credentials.createFromMetadataGenerator((_, done) => {
            const md = new grpc.Metadata();
            md.set("authorization", `Bearer ${key}`);
            done(null, md);
          }),
        );
      }
      this.credentials = creds;
    } else {
      // grpc-js sends call credentials only over TLS; on plaintext (loopback, or a
      // sidecar's mTLS) the key goes in the metadata.
      this.credentials = grpc.credentials.createInsecure();
      if (opts.apiKey) interceptors.push(defaultMetadata("authorization", `Bearer ${opts.apiKey}`));
    }
    this.options = { ...opts.channelOptions, interceptors: [...interceptors, ...(opts.interceptors ?? [])] };
  }

  /** A client of one generated service (e.g. UserServiceClient). Clients of one
   * Gateway share its connection. */
  client<C extends grpc.Client>(ctor: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C): C {
    return new ctor(this.target, this.credentials, this.options);
  }
}
