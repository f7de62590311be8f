// An EventService subscriber that hands events to a handler one at a time, sends
// the handler's passive reply, records each handled cursor, and after a disconnect
// or an UNAVAILABLE / RESOURCE_EXHAUSTED end subscribes again after the last one.
import * as grpc from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import { Event } from "./gen/wechat/mp/v1/events";
import { Reply } from "./gen/wechat/mp/v1/replies";
import { EventServiceClient, SubscribeRequest } from "./gen/wxgate/v1/event";
import { unary, WxgateError } from "./errors";

/** Keeps the cursor of the last handled event, so that a new process resumes
 * where the last one stopped (a file, Redis, a database row). */
export interface CursorStore {
  /** The saved cursor, or undefined when none was saved yet. */
  load(): Promise<string | undefined>;
  save(cursor: string): Promise<void>;
}

/** A CursorStore for the life of the process. */
export class MemoryCursorStore implements CursorStore {
  private cursor?: string;
  async load() {
    return this.cursor;
  }
  async save(cursor: string) {
    this.cursor = cursor;
  }
}

/** Handles one event; with `replies` set, the reply it returns goes back to WeChat
 * (undefined: "success", nothing shown). A throw stops the subscriber; the event
 * is not marked handled. */
export type Handler = (event: Event) => Promise<Reply | undefined> | Reply | undefined;

export interface SubscriberOptions {
  /** Filter, group, replies, raw XML; afterCursor is where to start when the store
   * has no cursor (unset: live events only). */
  request?: Partial<SubscribeRequest>;
  store?: CursorStore;
  metadata?: grpc.Metadata;
  minBackoffMs?: number; // default 100
  maxBackoffMs?: number; // default 10000
  /** Hears of each resumable end before the wait. */
  onRetry?: (error: Error, waitMs: number) => void;
}

const RESUMABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED, grpc.status.INTERNAL]);

export class Subscriber {
  readonly store: CursorStore;

  constructor(
    private readonly events: EventServiceClient,
    private readonly opts: SubscriberOptions = {},
  ) {
    this.store = opts.store ?? new MemoryCursorStore();
  }

  /** Runs until `signal` aborts (resolves), the handler throws, or the stream ends
   * with an error not worth retrying (rejects). */
  async run(handler: Handler, signal?: AbortSignal): Promise<void> {
    const minWait = this.opts.minBackoffMs ?? 100;
    const maxWait = this.opts.maxBackoffMs ?? 10_000;
    let wait = minWait;
    while (!signal?.aborted) {
      let handled = false;
      let ended: Error;
      try {
        handled = await this.once(handler, signal);
        ended = new Error("the gateway closed the stream");
      } catch (error) {
        if (signal?.aborted) return;
        if (!(error instanceof StreamEnd)) throw error;
        if (!RESUMABLE.has(error.cause.code)) throw WxgateError.from(error.cause);
        handled = error.handled;
        ended = error.cause;
      }
      if (handled) wait = minWait;
      this.opts.onRetry?.(ended, wait);
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return; // aborted
      }
      wait = Math.min(2 * wait, maxWait);
    }
  }

  /** One stream to its end; whether any event was handled. */
  private async once(handler: Handler, signal?: AbortSignal): Promise<boolean> {
    const request = SubscribeRequest.fromPartial(this.opts.request ?? {});
    const cursor = await this.store.load();
    if (cursor !== undefined) request.afterCursor = cursor;
    const call = this.events.subscribe(request, this.opts.metadata ?? new grpc.Metadata());
    const abort = () => call.cancel();
    signal?.addEventListener("abort", abort);
    let handled = false;
    try {
      for await (const { event } of call as AsyncIterable<{ event?: Event }>) {
        if (!event) continue;
        const reply = await handler(event);
        let replyError: unknown;
        if (request.replies) await replyTo(this.events, event, reply).catch((e) => (replyError = e));
        // Handled is handled: saved even when aborted meanwhile.
        await this.store.save(event.cursor);
        handled = true;
        if (replyError && !signal?.aborted) throw replyError;
      }
      return handled;
    } catch (error) {
      if (isServiceError(error)) throw new StreamEnd(error, handled);
      throw error;
    } finally {
      signal?.removeEventListener("abort", abort);
      call.cancel();
    }
  }
}

class StreamEnd extends Error {
  constructor(
    readonly cause: grpc.ServiceError,
    readonly handled: boolean,
  ) {
    super(cause.message);
  }
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as grpc.ServiceError).code === "number" && "metadata" in error;
}

/** Answers a push (reply undefined: "success" now). A push whose reply window has
 * passed, or that was answered already, is not an error: WeChat has had its
 * answer; a customer-service message reaches the user now. */
export async function replyTo(events: EventServiceClient, event: Event, reply?: Reply): Promise<void> {
  try {
    await unary(events.reply.bind(events), { eventId: event.id, reply });
  } catch (error) {
    if ((error as { code?: number }).code !== grpc.status.FAILED_PRECONDITION) throw error;
  }
}

/** A passive reply with a text message. */
export function textReply(content: string): Reply {
  return { text: { content } };
}
