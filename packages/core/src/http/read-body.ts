/**
 * Reads a request body with a byte limit enforced while streaming, so a client that lies in (or
 * omits) Content-Length cannot make the server buffer more than the limit.
 *
 * Past the limit, the rest of the body is read and discarded, up to `LINGER_BYTES` more (and
 * within the server's requestTimeout), *then* the 413 goes out: the "lingering close" of mature
 * servers. Clients that write their whole body before reading (Python's urllib, many SDKs) would
 * otherwise hit a reset mid-write and never see their answer. A body larger still is cut off: the
 * 413 goes out at once, the connection closes, and its sender may see a reset.
 */
import type { Readable } from 'node:stream';
import { BulwarkError } from '../errors.js';

/** Bytes past the limit the server reads and discards so the client can see its 413. */
export const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * The refusal of a body over the limit. `drained`: the rest of the body was read, so the framing
 * of the connection is intact; otherwise the connection is closed after the answer.
 */
export function payloadTooLarge(max: number, drained = false): BulwarkError {
  return new BulwarkError('payload_too_large', `request body exceeds ${max} bytes`, drained ? {} : { headers: { connection: 'close' } });
}

/**
 * Reads and discards the rest of a body. Resolves `true` once it has ended, `false` as soon as more
 * than `LINGER_BYTES` were discarded (the caller then answers and closes) or the stream failed.
 */
export function linger(stream: Readable): Promise<boolean> {
  return new Promise((resolve) => {
    let discarded = 0;
    if (stream.readableEnded) {
      resolve(true);
      return;
    }
    const done = (complete: boolean) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      if (!complete) stream.pause();
      resolve(complete);
    };
    const onData = (c: Buffer | string) => {
      discarded += typeof c === 'string' ? Buffer.byteLength(c) : c.byteLength;
      if (discarded > LINGER_BYTES) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(stream.readableEnded);
    stream.on('error', () => {}); // the client may reset; nothing to report
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onClose);
    stream.resume();
  });
}

/** Reads a Node stream (IncomingMessage) into one buffer of at most `max` bytes. */
export function readNodeBody(stream: Readable, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer | string) => {
      const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += c.byteLength;
      if (size > max) {
        cleanup();
        chunks.length = 0;
        // Discard the rest without buffering it, then answer.
        void linger(stream).then((drained) => reject(payloadTooLarge(max, drained)));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      // A small body arrives in one chunk: no copy.
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new BulwarkError('invalid_request', 'request body could not be read', { cause: err }));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** Reads a WHATWG ReadableStream (a fetch Request body) into one buffer of at most `max` bytes. */
export async function readWebBody(stream: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => {});
        throw payloadTooLarge(max, false);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}
