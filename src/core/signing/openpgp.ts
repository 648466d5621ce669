/**
 * OpenPGP through the `openpgp` package, loaded on first use only: a pull that verifies
 * nothing, and every front end checking its input, never pay for it.
 */
import type { Key, PrivateKey, PublicKey, Signature } from 'openpgp';
import { SregistryError } from '../errors.js';

type OpenPgp = typeof import('openpgp');
let loaded: Promise<OpenPgp> | undefined;
const openpgp = (): Promise<OpenPgp> => (loaded ??= import('openpgp'));

/** Public keys a verification trusts; `empty` when none was given (signers cannot be checked). */
export class Keyring {
  constructor(readonly keys: readonly Key[]) {}

  get empty(): boolean {
    return this.keys.length === 0;
  }

  /** The key whose primary or subkey has one of these key ids (16 hex). */
  find(keyIds: string[]): Key | undefined {
    const wanted = new Set(keyIds.map((k) => k.toLowerCase()));
    return this.keys.find((key) => key.getKeys().some((k) => wanted.has(k.getKeyID().toHex())));
  }
}

export const fingerprintOf = (key: Key): string => key.getFingerprint().toUpperCase();

/** First user id of a key, as shown to people. */
export async function userIdOf(key: Key): Promise<string | undefined> {
  try {
    const primary = await key.getPrimaryUser();
    return primary.user.userID?.userID || undefined;
  } catch {
    return key.getUserIDs()[0] || undefined;
  }
}

/**
 * Reads armored public keys (several blocks, several keys per block); `where` names each
 * block's origin for messages (a file, a setting), never its content. Private keys are
 * refused: a keyring holds what may be shown.
 */
export async function loadKeyring(blocks: ReadonlyArray<{ text: string; where: string }>): Promise<Keyring> {
  if (blocks.length === 0) return new Keyring([]);
  const pgp = await openpgp();
  const keys: Key[] = [];
  for (const { text, where } of blocks) {
    const armored =
      text.match(/-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g) ?? [];
    if (armored.length === 0)
      throw new SregistryError(
        'INVALID_INPUT',
        `The keyring ${where} holds no armored OpenPGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----); export one with "gpg --armor --export"`,
      );
    for (const block of armored) {
      let read: Key[];
      try {
        read = await pgp.readKeys({ armoredKeys: block });
      } catch (err) {
        throw new SregistryError(
          'INVALID_INPUT',
          `The keyring ${where} has a key block that does not parse (${shortReason(err)}); export it again with "gpg --armor --export"`,
        );
      }
      if (read.some((k) => k.isPrivate())) {
        throw new SregistryError(
          'INVALID_INPUT',
          `The keyring ${where} holds a private key: give public keys only ("gpg --armor --export", not --export-secret-keys)`,
        );
      }
      keys.push(...read);
    }
  }
  return new Keyring(keys);
}

/** A clear-signed message: its text, the key ids and fingerprint it claims, and the check against a keyring. */
export interface ClearSigned {
  text: string;
  keyIds: string[];
  issuerFingerprint?: string;
  /** The OpenPGP hash algorithm name (sha256...) of the first signature. */
  hash?: string;
  /** With the signer's key: true when the signature holds, else the reason it does not. */
  check(key: Key): Promise<true | string>;
}

export async function readClearSigned(armored: string): Promise<ClearSigned | string> {
  const pgp = await openpgp();
  let message;
  try {
    message = await pgp.readCleartextMessage({ cleartextMessage: armored });
  } catch (err) {
    return `not a clear-signed OpenPGP message (${shortReason(err)})`;
  }
  // The parsed signature is there at run time; the package's types leave it out.
  const packet = (message as unknown as { signature: Signature }).signature.packets[0];
  const issuer = packet?.issuerFingerprint;
  const hashId = packet?.hashAlgorithm;
  const hash =
    hashId === null || hashId === undefined
      ? undefined
      : (pgp.enums.read(pgp.enums.hash, hashId) as string | undefined);
  return {
    text: message.getText(),
    keyIds: message.getSigningKeyIDs().map((k) => k.toHex()),
    ...(issuer ? { issuerFingerprint: Buffer.from(issuer).toString('hex').toUpperCase() } : {}),
    ...(hash ? { hash: hash.toLowerCase() } : {}),
    async check(key: Key): Promise<true | string> {
      try {
        // Keys whose self-signatures were renewed after they signed stay usable (the test key of
        // sylabs/sif is one); the reference library does not look at those dates at all.
        const config = { allowInsecureVerificationWithReformattedKeys: true };
        const result = await pgp.verify({
          message,
          verificationKeys: [key.toPublic() as PublicKey],
          expectSigned: true,
          config,
        });
        for (const s of result.signatures) await s.verified;
        return true;
      } catch (err) {
        return shortReason(err);
      }
    },
  };
}

/** An unlocked signing key; the passphrase is used here and kept nowhere. */
export async function readSigningKey(
  armored: string,
  passphrase: string | undefined,
  where: string,
): Promise<PrivateKey> {
  const pgp = await openpgp();
  let key: PrivateKey;
  try {
    key = await pgp.readPrivateKey({ armoredKey: armored });
  } catch {
    throw new SregistryError(
      'INVALID_INPUT',
      `The signing key ${where} is not an armored OpenPGP private key; export it with "gpg --armor --export-secret-keys"`,
    );
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined || passphrase === '') {
    throw new SregistryError(
      'INVALID_INPUT',
      `The signing key ${where} is protected by a passphrase: set SREGISTRY_GLOBUS_SIGNING_PASSPHRASE or give --sign-passphrase-file`,
    );
  }
  try {
    return await pgp.decryptKey({ privateKey: key, passphrase });
  } catch {
    throw new SregistryError(
      'INVALID_INPUT',
      `The passphrase does not unlock the signing key ${where}; check SREGISTRY_GLOBUS_SIGNING_PASSPHRASE or the passphrase file`,
    );
  }
}

/** Clear-signs `text` with SHA-256 (the hash SIF signatures name in their descriptor). */
export async function clearSign(text: string, key: PrivateKey): Promise<string> {
  const pgp = await openpgp();
  const message = await pgp.createCleartextMessage({ text });
  return pgp.sign({ message, signingKeys: key, config: { preferredHashAlgorithm: pgp.enums.hash.sha256 } });
}

const shortReason = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 160);
