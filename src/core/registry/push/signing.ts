/**
 * Signatures on push: signing a copy of the file (the user's file is never changed; the
 * version is the SHA-256 of the signed bytes), and refusing an image that is not signed
 * whole by keys of the keyring (`requireSigned`, as the Sylabs library refuses unsigned
 * pushes without -U).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readSigningKey } from '../../signing/openpgp.js';
import { signSifFile } from '../../signing/sign.js';
import { checkFile, signatureGate, type SignatureGate } from '../signatures.js';
import type { Session } from '../session.js';
import type { SigningKey } from '../types.js';

export interface SignedCopy {
  file: string;
  discard(): Promise<void>;
}

/**
 * A signed copy of `file` in a private temp folder beside it (so a local Globus endpoint
 * that sees the file sees the copy too, for the Transfer transport), else in the system's
 * temp folder when that folder is not writable; removed by `discard`.
 */
export async function signedCopy(
  session: Session,
  file: string,
  signing: SigningKey,
  signal?: AbortSignal,
): Promise<SignedCopy> {
  const key = await readSigningKey(signing.armoredKey, signing.passphrase, signing.where ?? 'given');
  signal?.throwIfAborted();
  const dir = await mkdtemp(join(dirname(file), '.sregistry-sign-')).catch(() =>
    mkdtemp(join(tmpdir(), 'sregistry-sign-')),
  );
  const discard = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const out = join(dir, basename(file));
    session.step(`signing a copy of ${basename(file)}`);
    const { fingerprint, groups } = await signSifFile(file, out, key);
    session.notice(
      `signed object group${groups.length === 1 ? '' : 's'} ${groups.join(', ')} with key ${fingerprint}; ${file} itself is unchanged`,
    );
    return { file: out, discard };
  } catch (err) {
    await discard();
    throw err;
  }
}

/**
 * The check `requireSigned` makes: the pull policy `required`, so a keyring is needed
 * (INVALID_INPUT without one, before anything is signed or sent).
 */
export const requireSignedGate = (session: Session): Promise<SignatureGate> =>
  signatureGate(session.options, 'required', '--require-signed');

/** Refuses (UNSIGNED, SIGNATURE_INVALID, UNTRUSTED_SIGNER) an image not signed whole by keys of the keyring, by the pull policy's one rule. */
export async function requireSigned(
  gate: SignatureGate,
  file: string,
  shown: string,
  signal?: AbortSignal,
): Promise<void> {
  await checkFile(gate, file, shown, 'nothing was pushed', signal);
}
