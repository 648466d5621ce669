/**
 * The signature policy of a pull (`--verify`, SREGISTRY_GLOBUS_VERIFY, the Action's and
 * the nodes' `verify`) and what it makes of a signature report. Light: front ends parse
 * the setting through src/rules.ts before loading anything else.
 */
import { SregistryError } from '../errors.js';

/**
 * `off`: signatures are not looked at. `if-signed` (default): an unsigned image passes; in
 * a signed one the signatures must hold, with a keyring their signers must be in it, and
 * every data object must be covered by one: as sylabs/sif's verifier (Apptainer's) checks
 * every object group by default and refuses an object in no group, an object or group
 * added after signing makes the image signed in part, which is refused. `required`: as
 * `if-signed`, and an unsigned image or a signer the keyring did not prove is refused too
 * (so a keyring is needed).
 */
export type VerifyPolicy = 'off' | 'if-signed' | 'required';
export const VERIFY_POLICIES: readonly VerifyPolicy[] = ['off', 'if-signed', 'required'];
export const DEFAULT_VERIFY_POLICY: VerifyPolicy = 'if-signed';

export function parseVerifyPolicy(text: string, setting = 'verify'): VerifyPolicy {
  const t = text.trim().toLowerCase();
  if (!(VERIFY_POLICIES as readonly string[]).includes(t))
    throw new SregistryError('INVALID_INPUT', `${setting} "${text}" is not one of ${VERIFY_POLICIES.join(', ')}`);
  return t as VerifyPolicy;
}

/** The facts of a report the policy needs (structural, so this file loads nothing else). */
export interface ReportFacts {
  status: 'verified' | 'unchecked' | 'untrusted' | 'invalid' | 'unsigned';
  signatures: Array<{ object: number; fingerprint?: string; userId?: string; status: string; reason?: string }>;
  unsigned: number[];
  sif: boolean;
  problem?: string;
}

const signer = (s: { fingerprint?: string; userId?: string }): string =>
  s.fingerprint ? `${s.fingerprint}${s.userId ? ` (${s.userId})` : ''}` : 'an unknown key';

/**
 * Throws SIGNATURE_INVALID, UNTRUSTED_SIGNER or UNSIGNED when `report` does not pass
 * `policy`; `what` names the image, `after` says what became of it (e.g. "nothing was stored").
 */
export function enforceVerifyPolicy(report: ReportFacts, policy: VerifyPolicy, what: string, after: string): void {
  if (policy === 'off') return;
  if (report.problem) {
    throw new SregistryError(
      'SIGNATURE_INVALID',
      `${what} has signature objects but its descriptor table cannot be trusted: ${report.problem}; ${after}: do not use it`,
    );
  }
  const bad = report.signatures.find((s) => s.status === 'invalid');
  if (bad) {
    throw new SregistryError(
      'SIGNATURE_INVALID',
      `${what}: signature object ${bad.object} by ${signer(bad)} does not hold (${bad.reason ?? 'invalid'}); ${after}: the image was altered or damaged after it was signed, do not use it`,
    );
  }
  const untrusted = report.signatures.find((s) => s.status === 'untrusted');
  if (untrusted) {
    throw new SregistryError(
      'UNTRUSTED_SIGNER',
      `${what} is signed by ${signer(untrusted)}, which is not in the keyring; ${after}: add that public key with --keyring only if you trust it`,
    );
  }
  if (report.signatures.length === 0) {
    if (policy !== 'required') return;
    throw new SregistryError(
      'UNSIGNED',
      `${what} ${report.sif ? 'carries no signature' : 'is not a SIF image, so it carries no signature'} and verify is "required"; ${after}: sign it (push --sign-key) or pull with --verify if-signed`,
    );
  }
  if (report.unsigned.length > 0) {
    const n = report.unsigned;
    throw new SregistryError(
      'UNSIGNED',
      `${what} is signed in part: data object${n.length === 1 ? '' : 's'} ${n.join(', ')} ${n.length === 1 ? 'is' : 'are'} covered by no signature (added after signing?); ${after}: sign the whole image again`,
    );
  }
  if (policy !== 'required') return;
  const unchecked = report.signatures.find((s) => s.status !== 'verified');
  if (unchecked)
    throw new SregistryError(
      'UNTRUSTED_SIGNER',
      `${what}: the signer ${signer(unchecked)} could not be checked without a keyring and verify is "required"; ${after}: give the signer's public key with --keyring`,
    );
}
