// Files in pieces: client-streaming uploads from a stream, buffer or file, and
// server-streaming downloads to a stream or file.
import * as grpc from "@grpc/grpc-js";
import { createReadStream, createWriteStream } from "node:fs";
import { basename } from "node:path";
import { Readable, Writable } from "node:stream";
import { once } from "node:events";
import { FileChunk } from "./gen/wxgate/file/v1/file";
import { MaterialMediaType, MaterialServiceClient, UploadMediaResponse } from "./gen/wechat/mp/v1/material";
import { WxgateError } from "./errors";

/** How many bytes of a file each upload message carries. */
export const PIECE_SIZE = 64 * 1024;

/** Yields `source` in pieces of at most PIECE_SIZE bytes (an empty file: one empty piece). */
export async function* pieces(source: Readable | Buffer): AsyncGenerator<Buffer> {
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  let pending = Buffer.alloc(0);
  let any = false;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= PIECE_SIZE) {
      yield pending.subarray(0, PIECE_SIZE);
      pending = pending.subarray(PIECE_SIZE);
      any = true;
    }
  }
  if (pending.length > 0 || !any) yield pending;
}

/**
 * Sends `source` through a client-streaming upload, one message per piece; `piece`
 * makes the message (first: the one that carries the other fields). `start` opens
 * the call with its callback, e.g. `(cb) => material.uploadMedia(cb)`.
 */
export async function upload<Req, Res>(
  start: (callback: (error: grpc.ServiceError | null, response: Res) => void) => grpc.ClientWritableStream<Req>,
  source: Readable | Buffer,
  piece: (content: Buffer, first: boolean) => Req,
): Promise<Res> {
  let call!: grpc.ClientWritableStream<Req>;
  const answer = new Promise<Res>((resolve, reject) => {
    call = start((error, response) => (error ? reject(WxgateError.from(error)) : resolve(response)));
  });
  answer.catch(() => undefined); // awaited below
  let first = true;
  for await (const content of pieces(source)) {
    if (!call.write(piece(content, first))) await Promise.race([once(call, "drain"), answer]);
    first = false;
  }
  call.end();
  return answer;
}

/** Uploads temporary media from a stream, buffer or file path (MaterialService/UploadMedia). */
export function uploadMedia(
  material: MaterialServiceClient,
  type: MaterialMediaType,
  source: Readable | Buffer | string,
  filename = typeof source === "string" ? basename(source) : "file",
  metadata = new grpc.Metadata(),
): Promise<UploadMediaResponse> {
  const input = typeof source === "string" ? createReadStream(source) : source;
  return upload((cb) => material.uploadMedia(metadata, cb), input, (content, first) =>
    first ? { type, media: { filename, contentType: "", content } } : { type: 0, media: { filename: "", contentType: "", content } },
  );
}

/**
 * Writes a download stream's file (GetMedia, GetMaterial, GetHdVoice,
 * GetQrcodeImage, DownloadNontaxBill) to `sink` (a stream or a file path) and
 * returns the first chunk's metadata (content type, name, size).
 */
export async function download(
  stream: grpc.ClientReadableStream<{ file?: FileChunk }>,
  sink: Writable | string,
): Promise<Omit<FileChunk, "data">> {
  const out = typeof sink === "string" ? createWriteStream(sink) : sink;
  let meta: Omit<FileChunk, "data"> | undefined;
  try {
    for await (const message of stream as AsyncIterable<{ file?: FileChunk }>) {
      const chunk = message.file;
      if (!chunk) throw new Error("the download answered without a file (a video's URL?)");
      meta ??= { contentType: chunk.contentType, filename: chunk.filename, size: chunk.size };
      if (!out.write(chunk.data)) await once(out, "drain");
    }
  } catch (error) {
    throw error instanceof Error && "metadata" in error ? WxgateError.from(error as grpc.ServiceError) : error;
  } finally {
    if (typeof sink === "string") {
      out.end();
      await once(out, "close");
    }
  }
  if (!meta) throw new Error("the download carried no file");
  return meta;
}
