/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse): what is signed is the
 * pre-authentication encoding of the payload and its type, so a signature over one type of
 * document can never be replayed as another.
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body    (LEN: ASCII decimal byte length)
 */

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseEnvelope {
  /** base64 of the payload bytes. */
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: readonly { readonly sig: string; readonly keyid: string }[];
}

export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${body.length} `, 'ascii'), body]);
}
