/**
 * Reads a request body with a byte limit enforced while streaming, so a client that lies in (or
 * omits) Content-Length cannot make the server buffer more than the limit.
 */
import { BulwarkError } from '../errors.js';

function tooLarge(max: number): BulwarkError {
  return new BulwarkError('payload_too_large', `request body exceeds ${max} bytes`);
}

/** Reads a Node stream (IncomingMessage) into one buffer of at most `max` bytes. */
export async function readNodeBody(stream: AsyncIterable<Uint8Array | string>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += c.byteLength;
    if (size > max) throw tooLarge(max);
    chunks.push(c);
  }
  return Buffer.concat(chunks, size);
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
        throw tooLarge(max);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}
