/**
 * Signing keys: ECDSA P-256 (the default: what the OpenSSF model-signing tools verify for
 * bring-your-own-key signatures) or Ed25519, generated and used through node:crypto, stored as
 * PEM (PKCS#8 private, SPKI public). A key's hint in a bundle is the sha256 of its public PEM.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';

export type KeyAlgorithm = 'ecdsa-p256' | 'ed25519';

export interface KeyPairPem {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: string;
  readonly publicKey: string;
}

export function generateKeys(algorithm: KeyAlgorithm = 'ecdsa-p256'): KeyPairPem {
  const pair =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      : generateKeyPairSync('ec', {
          namedCurve: 'prime256v1',
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        });
  return { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** The algorithm of a key, or a KeyError for keys this signer does not use. */
export function algorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  throw new KeyError(
    `unsupported key: ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''}; use ECDSA P-256 or Ed25519`,
  );
}

export function privateKeyFrom(pem: string | Buffer): KeyObject {
  try {
    const key = createPrivateKey(pem);
    algorithmOf(key);
    return key;
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError('not a PEM private key');
  }
}

export function publicKeyFrom(pem: string | Buffer): KeyObject {
  try {
    const key = createPublicKey(pem);
    algorithmOf(key);
    return key;
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError('not a PEM public key');
  }
}

/** The hint a bundle carries for its key: sha256 (hex) of the public key's SPKI PEM. */
export function keyHint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'pem' }) as string)
    .digest('hex');
}

export function signBytes(data: Uint8Array, privateKey: KeyObject): Buffer {
  return sign(algorithmOf(privateKey) === 'ed25519' ? null : 'sha256', data, privateKey);
}

export function verifyBytes(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  try {
    return verify(algorithmOf(publicKey) === 'ed25519' ? null : 'sha256', data, publicKey, signature);
  } catch {
    return false;
  }
}
