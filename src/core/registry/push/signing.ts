/**
 * Signatures on push: signing a copy of the file (the user's file is never changed; the
 * version is the SHA-256 of the signed bytes), and refusing an image that is not signed
 * whole (`requireSigned`, as the Sylabs library refuses unsigned pushes without -U).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readSigningKey } from '../../signing/openpgp.js';
import { signSifFile } from '../../signing/sign.js';
import { verifySifFile } from '../../signing/verify.js';
import { enforceVerifyPolicy } from '../../signing/policy.js';
import { keyringOf } from '../signatures.js';
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
export async function signedCopy(session: Session, file: string, signing: SigningKey, signal?: AbortSignal): Promise<SignedCopy> {
  const key = await readSigningKey(signing.armoredKey, signing.passphrase, signing.where ?? 'given');
  signal?.throwIfAborted();
  const dir = await mkdtemp(join(dirname(file), '.sregistry-sign-')).catch(() => mkdtemp(join(tmpdir(), 'sregistry-sign-')));
  const discard = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const out = join(dir, basename(file));
    session.step(`signing a copy of ${basename(file)}`);
    const { fingerprint, groups } = await signSifFile(file, out, key);
    session.notice(`signed object group${groups.length === 1 ? '' : 's'} ${groups.join(', ')} with key ${fingerprint}; ${file} itself is unchanged`);
    return { file: out, discard };
  } catch (err) {
    await discard();
    throw err;
  }
}

/** Refuses (UNSIGNED, SIGNATURE_INVALID, UNTRUSTED_SIGNER) an image not signed whole by signatures that hold. */
export async function requireSigned(session: Session, file: string, shown: string, signal?: AbortSignal): Promise<void> {
  const keyring = await keyringOf(session.options);
  const report = await verifySifFile(file, keyring, signal);
  const what = shown;
  const after = 'nothing was pushed';
  if (keyring.empty) {
    // Without a keyring the signers cannot be trusted, but the signatures must be there and hold.
    enforceVerifyPolicy({ ...report, signatures: report.signatures.map((s) => (s.status === 'unchecked' ? { ...s, status: 'verified' } : s)) }, 'required', what, after);
  } else {
    enforceVerifyPolicy(report, 'required', what, after);
  }
}
