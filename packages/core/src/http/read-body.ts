/**
 * Reads a request body with a byte limit enforced while streaming, so a client that lies in (or
 * omits) Content-Length cannot make the server buffer more than the limit. Past the limit the
 * rest of the body is discarded unread (bounded in time by the server's requestTimeout) and the
 * answer asks to close the connection, so the client can read its 413 and no unread bytes are left
 * on a kept-alive socket.
 */
import type { Readable } from 'node:stream';
import { BulwarkError } from '../errors.js';

/** The refusal of a body over the limit; the connection is closed after it (unread bytes). */
export function payloadTooLarge(max: number): BulwarkError {
  return new BulwarkError('payload_too_large', `request body exceeds ${max} bytes`, { headers: { connection: 'close' } });
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
        stream.on('error', () => {}); // the client may reset once it has its answer
        stream.resume(); // discard the rest without buffering it
        reject(payloadTooLarge(max));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
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
        throw payloadTooLarge(max);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}
