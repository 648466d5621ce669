/**
 * The registry's side of SIF signatures: the keyring of a Registry (loaded once), what a
 * pull checks under its policy, and how results show signers.
 */
import { SregistryError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { loadKeyring, type Keyring } from '../signing/openpgp.js';
import { enforceVerifyPolicy, type VerifyPolicy } from '../signing/policy.js';
import { SifVerifier, verifySifFile, type SignatureReport } from '../signing/verify.js';
import type { ResolvedOptions } from './types.js';
import type { ImageSignatures } from './types.js';

const keyrings = new WeakMap<ResolvedOptions, Promise<Keyring>>();

/** The Registry's trusted keys, parsed on first use (and openpgp loaded only then). */
export function keyringOf(options: ResolvedOptions): Promise<Keyring> {
  let found = keyrings.get(options);
  if (!found) {
    const blocks = options.keyring.map((text, i) => ({
      text,
      where: options.keyring.length === 1 ? 'given' : `entry ${i + 1} of ${options.keyring.length}`,
    }));
    found = loadKeyring(blocks);
    // A bad keyring is reported each time, not cached.
    found.catch(() => keyrings.delete(options));
    keyrings.set(options, found);
  }
  return found;
}

/** A pull's signature check: the policy, and the keyring when the policy looks at signatures. */
export interface SignatureGate {
  policy: VerifyPolicy;
  keyring: Keyring | undefined;
}

/** `setting` names what asked for the check in the error a missing keyring gives. */
export async function signatureGate(
  options: ResolvedOptions,
  callPolicy: VerifyPolicy | undefined,
  setting = 'verify "required"',
): Promise<SignatureGate> {
  const policy = callPolicy ?? options.verify;
  if (policy === 'off') return { policy, keyring: undefined };
  const keyring = await keyringOf(options);
  if (policy === 'required' && keyring.empty) {
    // Without keys nothing proves who signed: a signature object anyone wrote would pass.
    throw new SregistryError(
      'INVALID_INPUT',
      `${setting} needs a keyring: give the signers' public keys with --keyring FILE (SREGISTRY_GLOBUS_KEYRING), else no signer can be trusted`,
    );
  }
  return { policy, keyring };
}

/** The verifier a download feeds; `fileSize` (the manifest's) bounds where objects may lie. */
export const streamingVerifier = (gate: SignatureGate, fileSize?: number): SifVerifier | undefined =>
  gate.keyring ? new SifVerifier(gate.keyring, fileSize) : undefined;

/** Refusals of bytes just downloaded and read whole: verdicts on that version, not on a local copy or a read. */
const downloadVerdicts = new WeakSet<object>();

/** The refusal `err` was the policy's verdict on a version's downloaded bytes (the same bytes would be refused again). */
export const isDownloadVerdict = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && downloadVerdicts.has(err);

/** As `enforceVerifyPolicy`, for the report on a download (`downloaded`) or on a file already there. */
export function enforceGate(
  report: SignatureReport,
  policy: VerifyPolicy,
  what: string,
  after: string,
  downloaded: boolean,
): void {
  try {
    enforceVerifyPolicy(report, policy, what, after);
  } catch (err) {
    if (downloaded && !report.unread && typeof err === 'object' && err !== null) downloadVerdicts.add(err);
    throw err;
  }
}

/**
 * Checks a whole file under the gate; throws the policy's error (its message ends with
 * `after`). `downloaded`: the file holds bytes just downloaded and checked against their version.
 */
export async function checkFile(
  gate: SignatureGate,
  path: string,
  what: string,
  after: string,
  signal?: AbortSignal,
  downloaded = false,
): Promise<ImageSignatures | undefined> {
  if (!gate.keyring) return undefined;
  const report = await verifySifFile(path, gate.keyring, signal);
  enforceGate(report, gate.policy, what, after, downloaded);
  return signaturesOf(report);
}

export function signaturesOf(report: SignatureReport): ImageSignatures {
  return {
    status: report.status,
    signatures: report.signatures.map((s) => ({ ...s, objects: [...s.objects] })),
    unsigned: [...report.unsigned],
    ...(report.problem ? { problem: report.problem } : {}),
  };
}

/** What a manifest says about signers: advisory, never a check. */
export function listedSignatures(manifest: Manifest | undefined): ImageSignatures | undefined {
  if (!manifest?.signatures) return undefined;
  return { status: 'not-checked', signatures: manifest.signatures.map((fingerprint) => ({ fingerprint })) };
}
