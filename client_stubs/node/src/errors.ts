// WeChat's and the gateway's errors as a TypeScript class, decoded from the
// google.rpc.Status in the grpc-status-details-bin trailer.
import * as grpc from "@grpc/grpc-js";
import { ErrorInfo } from "./gen/google/rpc/error_details";
import { Status } from "./gen/google/rpc/status";

/** ErrorInfo.domain of the errors WeChat answered (errcode != 0). */
export const WECHAT_DOMAIN = "api.weixin.qq.com";
const DETAILS_KEY = "grpc-status-details-bin";
const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";

/**
 * A failed call that carries a google.rpc.ErrorInfo: a WeChat error (reason
 * "WECHAT_<errcode>", with errcode, errmsg and rid) or one of the gateway's own
 * (reason such as "UNKNOWN_APPID"; the README's reason table). `unary` and the
 * helpers reject with it; `WxgateError.from` decodes any grpc-js ServiceError.
 */
export class WxgateError extends Error {
  readonly errcode: number;
  readonly errmsg: string;
  readonly rid: string;

  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly reason: string,
    readonly domain: string,
    readonly metadata: Record<string, string>,
    readonly cause?: grpc.ServiceError,
  ) {
    super(`${grpc.status[code]}: ${details} (reason ${reason})`);
    this.name = "WxgateError";
    this.errcode = Number(metadata.errcode ?? 0);
    this.errmsg = metadata.errmsg ?? "";
    this.rid = metadata.rid ?? "";
  }

  /** Whether WeChat itself answered the error. */
  get isWeChat(): boolean {
    return this.domain === WECHAT_DOMAIN;
  }

  /** The WxgateError of a failed call, or the error itself when it has no ErrorInfo. */
  static from(error: grpc.ServiceError): WxgateError | grpc.ServiceError {
    for (const value of error.metadata?.get(DETAILS_KEY) ?? []) {
      const status = Status.decode(value as Buffer);
      const any = status.details.find((d) => d.typeUrl === ERROR_INFO_TYPE);
      if (!any) continue;
      const info = ErrorInfo.decode(any.value);
      return new WxgateError(error.code, error.details, info.reason, info.domain, info.metadata, error);
    }
    return error;
  }
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls a generated unary method (bound to its client) as a Promise; a failure
 * rejects with a WxgateError where the status carries an ErrorInfo. */
export function unary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata = new grpc.Metadata(),
  options: Partial<grpc.CallOptions> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, options, (error, response) =>
      error ? reject(WxgateError.from(error)) : resolve(response),
    );
  });
}
