/** Field checks shared by the config file and the saved world; each failure is one line naming the field. */
import type { EntityType } from '../model.js';

/** A problem with a config or world file; the message is one line naming the file and the field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const ENTITY_TYPES: readonly EntityType[] = [
  'GCP_mapped_collection',
  'GCSv5_guest_collection',
  'GCSv5_mapped_collection',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function obj(value: unknown, at: string, fail: (m: string) => never): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${at} must be a JSON object`);
  return value as Record<string, unknown>;
}

export function list(value: unknown, at: string, fail: (m: string) => never): unknown[] {
  if (!Array.isArray(value)) fail(`${at} must be a JSON array`);
  return value as unknown[];
}

export function str(value: unknown, at: string, fail: (m: string) => never): string {
  if (typeof value !== 'string') fail(`${at} must be a string`);
  return value as string;
}

export function nonEmpty(value: unknown, at: string, fail: (m: string) => never): string {
  if (typeof value !== 'string' || value === '') fail(`${at} must be a non-empty string`);
  return value as string;
}

export function uuid(value: unknown, at: string, fail: (m: string) => never): string {
  if (typeof value !== 'string' || !UUID.test(value))
    fail(`${at} must be a UUID like 6f1e0c9a-1b2c-4d3e-8f90-0a1b2c3d4e5f`);
  return (value as string).toLowerCase();
}

export function positiveInt(value: unknown, at: string, fail: (m: string) => never): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${at} must be a positive integer`);
  return value as number;
}

export function known(value: Record<string, unknown>, keys: string[], at: string, fail: (m: string) => never): void {
  const extra = Object.keys(value).find((k) => !keys.includes(k));
  if (extra !== undefined) fail(`${at} has an unknown key "${extra}" (allowed: ${keys.join(', ')})`);
}

export function unique(values: string[], what: string, fail: (m: string) => never): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) fail(`${what} ${JSON.stringify(v)} appears twice`);
    seen.add(v);
  }
}
