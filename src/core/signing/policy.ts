/**
 * The signature policy of a pull (`--verify`, SREGISTRY_GLOBUS_VERIFY, the Action's and
 * the nodes' `verify`) and what it makes of a signature report. Light: front ends parse
 * the setting through src/rules.ts before loading anything else.
 */
import { SregistryError } from '../errors.js';

/**
 * `off`: signatures are not looked at. `if-signed` (default): signatures that are there
 * must hold, and with a keyring their signers must be in it; an unsigned image passes.
 * `required`: every data object must be covered by a signature that holds, made by a key
 * of the keyring (so a keyring is needed).
 */
export type VerifyPolicy = 'off' | 'if-signed' | 'required';
export const VERIFY_POLICIES: readonly VerifyPolicy[] = ['off', 'if-signed', 'required'];
export const DEFAULT_VERIFY_POLICY: VerifyPolicy = 'if-signed';

export function parseVerifyPolicy(text: string, setting = 'verify'): VerifyPolicy {
  const t = text.trim().toLowerCase();
  if (!(VERIFY_POLICIES as readonly string[]).includes(t)) throw new SregistryError('INVALID_INPUT', `${setting} "${text}" is not one of ${VERIFY_POLICIES.join(', ')}`);
  return t as VerifyPolicy;
}

/** The facts of a report the policy needs (structural, so this file loads nothing else). */
export interface ReportFacts {
  status: 'verified' | 'unchecked' | 'untrusted' | 'invalid' | 'unsigned';
  signatures: Array<{ object: number; fingerprint?: string; userId?: string; status: string; reason?: string }>;
  unsigned: number[];
  sif: boolean;
}

const signer = (s: { fingerprint?: string; userId?: string }): string => (s.fingerprint ? `${s.fingerprint}${s.userId ? ` (${s.userId})` : ''}` : 'an unknown key');

/**
 * Throws SIGNATURE_INVALID, UNTRUSTED_SIGNER or UNSIGNED when `report` does not pass
 * `policy`; `what` names the image, `after` says what became of it (e.g. "nothing was stored").
 */
export function enforceVerifyPolicy(report: ReportFacts, policy: VerifyPolicy, what: string, after: string): void {
  if (policy === 'off') return;
  const bad = report.signatures.find((s) => s.status === 'invalid');
  if (bad) {
    throw new SregistryError('SIGNATURE_INVALID', `${what}: signature object ${bad.object} by ${signer(bad)} does not hold (${bad.reason ?? 'invalid'}); ${after}: the image was altered or damaged after it was signed, do not use it`);
  }
  const untrusted = report.signatures.find((s) => s.status === 'untrusted');
  if (untrusted) {
    throw new SregistryError('UNTRUSTED_SIGNER', `${what} is signed by ${signer(untrusted)}, which is not in the keyring; ${after}: add that public key with --keyring only if you trust it`);
  }
  if (policy !== 'required') return;
  if (report.signatures.length === 0) {
    throw new SregistryError('UNSIGNED', `${what} ${report.sif ? 'carries no signature' : 'is not a SIF image, so it carries no signature'} and verify is "required"; ${after}: sign it (push --sign-key) or pull with --verify if-signed`);
  }
  if (report.unsigned.length > 0) {
    throw new SregistryError('UNSIGNED', `${what} has data object${report.unsigned.length === 1 ? '' : 's'} ${report.unsigned.join(', ')} that no signature covers and verify is "required"; ${after}: sign the whole image again`);
  }
  const unchecked = report.signatures.find((s) => s.status !== 'verified');
  if (unchecked) throw new SregistryError('UNTRUSTED_SIGNER', `${what}: the signer ${signer(unchecked)} could not be checked without a keyring and verify is "required"; ${after}: give the signer's public key with --keyring`);
}
