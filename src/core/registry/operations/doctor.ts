/**
 * doctor: the first contact with a Globus collection, checked step by step (credentials,
 * the endpoint, the registry root, read and write permission, the transport, the local
 * endpoint), each check with what to do when it fails; and, on request, probes that
 * measure the Globus behaviours docs/globus-behaviour.md lists as unverified. Everything
 * it writes goes into one scratch folder that it removes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  collectionHttpsScope,
  dataAccessScope,
  TRANSFER_SCOPE,
  transferScopeWithDataAccess,
} from '../../auth/scopes.js';
import { isSregistryError, type SregistryError } from '../../errors.js';
import { request } from '../../http/request.js';
import { Readable } from 'node:stream';
import { normaliseRoot } from '../../layout.js';
import { collectionUrl } from '../../collection/url.js';
import { parseGlobusUri, isGlobusUri } from '../../uri.js';
import { hasAccessRules, rootAccess } from './access.js';
import { findFutureManifests } from '../lookup/future-stamps.js';
import { STAMP_SKEW_MS } from '../../versions.js';
import { locateRoot } from '../lookup/root.js';
import { endpointInfo, httpsTarget, type EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import { waitTask } from '../transports/tasks.js';
import { BACKENDS } from '../transports/index.js';
import { transportFor, transportRemedies } from '../transports/transport.js';
import type { TransportChoice } from '../types.js';
import { getEndpoint, listAccessRules, ls, mkdir, rename, submitDelete } from '../../transfer/index.js';

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface DoctorCheck {
  /** Stable name: credentials, endpoint, https-token, registry-root, access, read, future-stamps, write, transport, local-endpoint. */
  check: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do, when it failed. */
  fix?: string;
  code?: string;
}

/** One measured behaviour; `behaviour` is the name of its row in docs/globus-behaviour.md. */
export interface ProbeResult {
  behaviour: string;
  /** The variant seen, named as the sandbox's switch values; `not measured` when it could not be. */
  variant: string;
  /** The answer as seen (status, code, message). */
  observed: string;
}

/** Who may read and who may write the registry root, from the collection's access rules (principals as `access` takes them). */
export interface RootAccess {
  root: string;
  /** Read-only on the root (a read-write rule counts under `write` only). */
  read: string[];
  write: string[];
  /** Rules on folders inside the registry (a collection, a name), not the whole root. */
  inside: number;
}

export interface DoctorReport {
  ok: boolean;
  endpoint?: { id: string; displayName: string; entityType: string; httpsServer: string | null };
  /** Present when this client may see the collection's access rules. */
  access?: RootAccess;
  checks: DoctorCheck[];
  /** Endpoint paths of the manifests stamped in the future (ignored when resolving tags). */
  futureManifests?: string[];
  probes?: ProbeResult[];
}

export interface DoctorOptions {
  probe?: boolean;
  signal?: AbortSignal;
  /** The transport to check, instead of the Registry's. */
  transport?: TransportChoice;
}

/** The names of the rows of docs/globus-behaviour.md that the probes measure. */
export const PROBES = {
  rename: 'rename collision answer',
  mkdir: 'mkdir missing-parent answer',
  putMissing: 'HTTPS PUT into a missing folder',
  putCut: 'HTTPS PUT cut mid-body',
  range: 'HTTPS Range requests',
  basic: 'Basic credentials forms',
  retryAfter: '429 Retry-After',
} as const;

const NOT_MEASURED = 'not measured';

const describe = (err: unknown): string => {
  if (!isSregistryError(err)) return err instanceof Error ? err.message : String(err);
  return err.message;
};

const answerOf = (err: unknown): string => {
  if (!isSregistryError(err)) return `no answer (${err instanceof Error ? err.message : String(err)})`;
  return [err.status !== undefined ? `HTTP ${err.status}` : err.code, err.globusCode].filter(Boolean).join(' ');
};

export async function doctor(
  session: Session,
  target: string | undefined,
  opts: DoctorOptions = {},
): Promise<DoctorReport> {
  const signal = opts.signal;
  const s = signal ? { signal } : {};
  const checks: DoctorCheck[] = [];
  const identity = `${session.clientId}@clients.auth.globus.org`;
  const add = (c: DoctorCheck): DoctorCheck => {
    checks.push(c);
    return c;
  };
  const failed = (check: string, err: unknown, fix: string): DoctorCheck =>
    add({ check, status: 'fail', detail: describe(err), fix, ...(isSregistryError(err) ? { code: err.code } : {}) });
  const report = (extra: Partial<DoctorReport> = {}): DoctorReport => ({
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
    ...extra,
  });

  session.step('checking the client credentials');
  try {
    await session.tokens.getAccessToken(TRANSFER_SCOPE, s);
    add({
      check: 'credentials',
      status: 'ok',
      detail: `client ${session.clientId} gets a token for ${TRANSFER_SCOPE}`,
    });
  } catch (err) {
    failed(
      'credentials',
      err,
      'check GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET: the id and a current secret of a confidential client (app.globus.org, Settings, Developers)',
    );
    return report();
  }

  const local = session.options.localEndpoint;
  if (target === undefined) {
    add({
      check: 'endpoint',
      status: 'skip',
      detail: 'no endpoint given',
      fix: 'run sregistry-globus doctor globus://<endpoint> to check a collection',
    });
    await checkLocal(session, local, add, failed, signal);
    return report();
  }

  const name = isGlobusUri(target) ? parseGlobusUri(target).endpoint : target;
  let ep: EndpointInfo;
  session.step(`looking up endpoint ${name}`);
  try {
    ep = await session.endpoint(name, signal);
  } catch (err) {
    failed(
      'endpoint',
      err,
      `check the id (find it with: sregistry-globus search <words>), and that ${identity} has a permission on the collection`,
    );
    return report();
  }
  const consent = ep.dataAccess
    ? `; needs data_access consent (${dataAccessScope(ep.id)}), asked for up front`
    : '; no data_access consent needed';
  add({
    check: 'endpoint',
    status: 'ok',
    detail: `${ep.displayName} (${ep.id}), ${ep.entityType}, ${ep.httpsServer ? `HTTPS server ${ep.httpsServer}` : 'no HTTPS server'}${consent}`,
  });
  const shown: Pick<DoctorReport, 'endpoint' | 'access'> = {
    endpoint: { id: ep.id, displayName: ep.displayName, entityType: ep.entityType, httpsServer: ep.httpsServer },
  };

  if (ep.httpsServer) {
    const scopes = ep.dataAccess
      ? [collectionHttpsScope(ep.id), dataAccessScope(ep.id)]
      : [collectionHttpsScope(ep.id)];
    try {
      await session.tokens.getAccessToken(scopes, s);
      if (ep.dataAccess) await session.tokens.getAccessToken(transferScopeWithDataAccess([ep.id]), s);
      add({ check: 'https-token', status: 'ok', detail: `a token for ${scopes.join(' ')}` });
    } catch (err) {
      failed(
        'https-token',
        err,
        `Globus Auth refused the collection's scopes: check that ${ep.id} is a GCSv5 collection that serves HTTPS`,
      );
    }
  }

  let root: string;
  let rootExists: boolean;
  try {
    const found = await locateRoot(session, ep, true, signal);
    root = found.root;
    rootExists = !found.missing;
    add({
      check: 'registry-root',
      status: 'ok',
      detail: rootExists ? `registry at ${root}` : `no registry yet; the first push creates it at ${root}`,
    });
  } catch (err) {
    failed(
      'registry-root',
      err,
      `grant ${identity} read access on the collection, or set SREGISTRY_GLOBUS_ROOT (--root) to the registry folder`,
    );
    return report(shown);
  }

  const access = await checkAccess(session, ep, root, add, signal);
  if (access) shown.access = access;

  // The nearest folder that exists: the root, or the one a push would create it in.
  const readAt = rootExists ? root : parentOf(root);
  session.step(`listing ${readAt}`);
  try {
    for await (const _entry of ls(session.transfer, ep.id, readAt, s)) break;
    add({ check: 'read', status: 'ok', detail: `listed ${readAt}` });
  } catch (err) {
    failed(
      'read',
      err,
      `grant ${identity} read access to ${readAt} on ${ep.displayName} (Globus web app, the collection's Permissions)`,
    );
  }
  const future = rootExists ? await checkFutureStamps(session, ep, root, add, failed, signal) : undefined;

  const scratch = `${rootExists ? root : readAt}.sregistry-doctor-${randomUUID()}/`;
  let wrote = false;
  session.step(`creating the scratch folder ${scratch}`);
  try {
    await mkdir(session.transfer, ep.id, scratch, s);
    wrote = true;
    if (ep.httpsServer) {
      await session.https.upload(
        httpsTarget(ep),
        `${scratch}write-check`,
        bytes(Buffer.from('sregistry-globus doctor\n')),
        s,
      );
    }
    add({
      check: 'write',
      status: 'ok',
      detail: `created ${scratch}${ep.httpsServer ? ' and a file in it over HTTPS' : ''} (removed at the end)`,
    });
  } catch (err) {
    failed(
      'write',
      err,
      `grant ${identity} read-write access to ${rootExists ? root : readAt} on ${ep.displayName} (pushes need it; pulls do not)`,
    );
  }

  try {
    const choice = opts.transport ?? session.options.transport;
    const backend = transportFor(session, ep, choice);
    const why = choice !== 'auto' ? `--transport ${choice}` : `auto: ${backend.autoReason}`;
    add({ check: 'transport', status: 'ok', detail: `${backend.name} (${why})` });
  } catch (err) {
    failed('transport', err, transportRemedies());
  }
  await checkLocal(session, local, add, failed, signal, ep);

  let probes: ProbeResult[] | undefined;
  try {
    if (opts.probe)
      probes = wrote
        ? await runProbes(session, ep, scratch, signal)
        : notMeasured('the write check failed, so there is no scratch folder');
  } finally {
    if (wrote) await removeScratch(session, ep, scratch, add, signal);
  }
  return report({ ...shown, ...(future ? { futureManifests: future } : {}), ...(probes ? { probes } : {}) });
}

/**
 * Who may read and write the registry root, when this client may see the collection's
 * access rules (its owner, an administrator or an access manager); a skip otherwise.
 */
async function checkAccess(
  session: Session,
  ep: EndpointInfo,
  root: string,
  add: (c: DoctorCheck) => DoctorCheck,
  signal?: AbortSignal,
): Promise<RootAccess | undefined> {
  if (!hasAccessRules(ep.entityType)) {
    add({
      check: 'access',
      status: 'skip',
      detail: `a ${ep.entityType || 'endpoint'} has no access rules (Globus keeps them on guest collections)`,
    });
    return undefined;
  }
  session.step(`reading the access rules of ${ep.displayName}`);
  let rules;
  try {
    rules = await listAccessRules(session.transfer, ep.id, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw err;
    // Who else may use the registry is information, not a condition of using it: never a failed check.
    const denied = isSregistryError(err) && (err.code === 'PERMISSION_DENIED' || err.code === 'NOT_FOUND');
    add({
      check: 'access',
      status: 'skip',
      detail: denied
        ? "this client may not see the collection's access rules (its owner, administrators and access managers may)"
        : `could not read the collection's access rules: ${describe(err)}`,
    });
    return undefined;
  }
  const { read, write, inside } = rootAccess(rules, root);
  const list = (names: string[]) => (names.length ? names.join(', ') : 'nobody');
  const more = inside
    ? `; ${inside} more rule${inside === 1 ? '' : 's'} on folders inside it (sregistry-globus access list)`
    : '';
  add({
    check: 'access',
    status: 'ok',
    detail: `on ${root}: read-write ${list(write)}; read-only ${list(read)}${more}`,
  });
  return { root, read, write, inside };
}

/** Lists the registry's future-stamped manifests: a wrong clock or a planted name. */
async function checkFutureStamps(
  session: Session,
  ep: EndpointInfo,
  root: string,
  add: (c: DoctorCheck) => DoctorCheck,
  failed: (check: string, err: unknown, fix: string) => DoctorCheck,
  signal?: AbortSignal,
): Promise<string[] | undefined> {
  session.step(`looking for manifests stamped in the future under ${root}`);
  try {
    const found = await findFutureManifests(session, ep, root, signal);
    if (found.length === 0) {
      add({ check: 'future-stamps', status: 'ok', detail: 'no manifest is stamped in the future' });
    } else {
      const shown = found.slice(0, 10).join(', ') + (found.length > 10 ? `, and ${found.length - 10} more` : '');
      add({
        check: 'future-stamps',
        status: 'fail',
        detail: `${found.length} manifest${found.length === 1 ? ' is' : 's are'} stamped or dated more than ${STAMP_SKEW_MS / 60_000} minutes ahead of the server's clock, and ignored when resolving tags: ${shown}`,
        fix: 'remove them with sregistry-globus prune globus://<endpoint>/<collection>/<name> --keep <n> (or delete the tag), and set the clock right on the machine that pushed them',
        code: 'CONFLICT',
      });
    }
    return found;
  } catch (err) {
    failed('future-stamps', err, `grant ${identity(session)} read access to ${root} on ${ep.displayName}`);
    return undefined;
  }
}

const identity = (session: Session): string => `${session.clientId}@clients.auth.globus.org`;

async function checkLocal(
  session: Session,
  local: string | undefined,
  add: (c: DoctorCheck) => DoctorCheck,
  failed: (check: string, err: unknown, fix: string) => DoctorCheck,
  signal?: AbortSignal,
  ep?: EndpointInfo,
): Promise<void> {
  if (!local) {
    const usable = ep
      ? BACKENDS.filter(
          (b) =>
            b.unreachable({ httpsServer: ep.httpsServer, localEndpoint: undefined, shown: ep.displayName }) ===
            undefined,
        ).map((b) => b.name)
      : [];
    const which = !ep
      ? 'the transports that need one cannot be used'
      : usable.length
        ? `${usable.join(', ')} can reach ${ep.displayName}`
        : `no transport reaches ${ep.displayName} without one`;
    add({
      check: 'local-endpoint',
      status: 'skip',
      detail: `none configured (SREGISTRY_GLOBUS_LOCAL_ENDPOINT); ${which}`,
    });
    return;
  }
  try {
    const known = await session.endpoint(local, signal);
    // A personal endpoint's connection comes and goes: read it now.
    const now =
      known.entityType === 'GCP_mapped_collection'
        ? endpointInfo(await getEndpoint(session.transfer, known.id, signal ? { signal } : {}))
        : known;
    if (now.gcpConnected === false) {
      add({
        check: 'local-endpoint',
        status: 'fail',
        detail: `${now.displayName} (${now.id}) is a Globus Connect Personal endpoint that is not connected`,
        fix: 'start Globus Connect Personal on that machine, or unset SREGISTRY_GLOBUS_LOCAL_ENDPOINT to use HTTPS',
        code: 'EXTERNAL_ERROR',
      });
      return;
    }
    add({
      check: 'local-endpoint',
      status: 'ok',
      detail: `${now.displayName} (${now.id}), ${now.entityType}${now.gcpConnected ? ', connected' : ''}`,
    });
  } catch (err) {
    failed(
      'local-endpoint',
      err,
      'check SREGISTRY_GLOBUS_LOCAL_ENDPOINT: the id of your Globus Connect Personal/Server endpoint, visible to this client',
    );
  }
}

async function removeScratch(
  session: Session,
  ep: EndpointInfo,
  scratch: string,
  add: (c: DoctorCheck) => DoctorCheck,
  _callerSignal?: AbortSignal,
): Promise<void> {
  // Not the caller's signal: a Ctrl-C during the checks must still remove the scratch folder.
  const signal = AbortSignal.timeout(120_000);
  session.step(`removing the scratch folder ${scratch}`);
  try {
    const { taskId } = await submitDelete(session.transfer, {
      endpoint: ep.id,
      paths: [scratch],
      recursive: true,
      ignoreMissing: true,
      label: 'sregistry doctor cleanup',
      ...(signal ? { signal } : {}),
    });
    await waitTask({ session, image: 'doctor', ...(signal ? { signal } : {}) }, taskId);
  } catch (err) {
    add({
      check: 'cleanup',
      status: 'fail',
      detail: describe(err),
      fix: `delete ${scratch} on ${ep.displayName} by hand (Globus web app)`,
      ...(isSregistryError(err) ? { code: err.code } : {}),
    });
  }
}

const parentOf = (root: string): string => {
  const trimmed = normaliseRoot(root).replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return cut <= 0 ? '/' : `${trimmed.slice(0, cut)}/`;
};

function notMeasured(why: string): ProbeResult[] {
  return Object.values(PROBES).map((behaviour) => ({ behaviour, variant: NOT_MEASURED, observed: why }));
}

async function runProbes(
  session: Session,
  ep: EndpointInfo,
  scratch: string,
  signal?: AbortSignal,
): Promise<ProbeResult[]> {
  const s = signal ? { signal } : {};
  const out: ProbeResult[] = [];
  const https = ep.httpsServer ? httpsTarget(ep) : undefined;
  const noHttps = (behaviour: string): ProbeResult => ({
    behaviour,
    variant: NOT_MEASURED,
    observed: 'the collection has no HTTPS server to write files with',
  });
  const put = (path: string, text: string) => session.https.upload(https!, path, bytes(Buffer.from(text)), s);

  session.step('probing: rename onto an existing file');
  if (https) {
    await put(`${scratch}a`, 'first');
    await put(`${scratch}b`, 'second file');
    try {
      await rename(session.transfer, ep.id, `${scratch}a`, `${scratch}b`, s);
      const after = await session.https.head(https, `${scratch}b`, s);
      out.push({
        behaviour: PROBES.rename,
        variant: after?.size === 5 ? 'replace' : 'other',
        observed: `renamed; the target now has ${after?.size ?? 'no'} bytes`,
      });
    } catch (err) {
      const e = err as SregistryError;
      const variant =
        e.status === 502 && /Exists/.test(e.globusCode ?? '')
          ? '502-exists'
          : e.status === 409
            ? '409-conflict'
            : 'other';
      out.push({ behaviour: PROBES.rename, variant, observed: answerOf(err) });
    }
  } else out.push(noHttps(PROBES.rename));

  session.step('probing: mkdir under a missing folder');
  try {
    await mkdir(session.transfer, ep.id, `${scratch}missing/child/`, s);
    out.push({ behaviour: PROBES.mkdir, variant: 'creates-parents', observed: 'created, parents included' });
  } catch (err) {
    const e = err as SregistryError;
    const variant =
      e.status === 502 && /MkdirFailed/.test(e.globusCode ?? '') && /No such file/i.test(e.message)
        ? '502-mkdir-failed'
        : e.status === 404
          ? '404-not-found'
          : 'other';
    out.push({
      behaviour: PROBES.mkdir,
      variant,
      observed: `${answerOf(err)}${/No such file/i.test(e.message) ? ' "No such file or directory"' : ''}`,
    });
  }

  if (https) {
    session.step('probing: HTTPS PUT into a missing folder');
    try {
      await put(`${scratch}nofolder/x`, 'x');
      out.push({ behaviour: PROBES.putMissing, variant: 'create', observed: 'HTTP 2xx, the folder was made' });
    } catch (err) {
      const status = (err as SregistryError).status;
      out.push({
        behaviour: PROBES.putMissing,
        variant: status === 409 ? '409' : status === 404 ? '404' : 'other',
        observed: answerOf(err),
      });
    }
    session.step('probing: HTTPS PUT cut mid-body');
    out.push(await probeCut(session, ep, `${scratch}cut`, signal));
    session.step('probing: HTTPS Range');
    out.push(await probeRange(session, ep, `${scratch}range`, signal));
  } else out.push(noHttps(PROBES.putMissing), noHttps(PROBES.putCut), noHttps(PROBES.range));

  session.step('probing: which Basic credential forms Globus Auth takes');
  out.push(await probeBasic(session, signal));

  const seen = session.rateLimitRetries;
  out.push(
    seen.total === 0
      ? { behaviour: PROBES.retryAfter, variant: 'not seen', observed: 'no 429 during this run' }
      : {
          behaviour: PROBES.retryAfter,
          variant: seen.withRetryAfter > 0 ? 'seconds' : 'none',
          observed: `${seen.total} answers 429, ${seen.withRetryAfter} with Retry-After`,
        },
  );
  return out;
}

async function bearer(session: Session, ep: EndpointInfo, signal?: AbortSignal): Promise<string> {
  const scopes = ep.dataAccess ? [collectionHttpsScope(ep.id), dataAccessScope(ep.id)] : [collectionHttpsScope(ep.id)];
  return `Bearer ${await session.tokens.getToken(scopes, signal ? { signal } : {})}`;
}

/** Sends half of a declared body, then breaks the connection, and looks at what stayed at the target name. */
async function probeCut(session: Session, ep: EndpointInfo, path: string, signal?: AbortSignal): Promise<ProbeResult> {
  const target = httpsTarget(ep);
  const size = 256 * 1024;
  const half = randomBytes(size / 2);
  try {
    const res = await request({
      method: 'PUT',
      url: collectionUrl(target, path),
      headers: {
        authorization: await bearer(session, ep, signal),
        'content-type': 'application/octet-stream',
        'content-length': String(size),
      },
      body: (async function* () {
        yield half;
        await new Promise((r) => setTimeout(r, 100));
        throw new Error('body cut on purpose');
      })(),
      retry: false,
      throwOnError: false,
      network: session.network,
      ...(signal ? { signal } : {}),
    });
    await res.dump();
  } catch {
    // expected: the body broke off
  }
  let seen: number | undefined;
  for (let i = 0; i < 8 && seen === undefined; i++) {
    await new Promise((r) => setTimeout(r, 250));
    seen = (await session.https.head(target, path, signal ? { signal } : {}).catch(() => undefined))?.size;
  }
  if (seen === undefined)
    return { behaviour: PROBES.putCut, variant: 'nothing', observed: 'nothing at the target name after the cut' };
  return {
    behaviour: PROBES.putCut,
    variant: seen < size ? 'partial' : 'other',
    observed: `${seen} of ${size} bytes at the target name after the cut`,
  };
}

async function probeRange(
  session: Session,
  ep: EndpointInfo,
  path: string,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const target = httpsTarget(ep);
  await session.https.upload(target, path, bytes(Buffer.from('0123456789abcdefghij')), signal ? { signal } : {});
  const res = await request({
    method: 'GET',
    url: collectionUrl(target, path),
    headers: { authorization: await bearer(session, ep, signal), range: 'bytes=10-14' },
    throwOnError: false,
    network: session.network,
    ...(signal ? { signal } : {}),
  });
  const body = await res.text();
  const range = res.headers['content-range'];
  if (res.status === 206 && body === 'abcde')
    return { behaviour: PROBES.range, variant: 'supported', observed: `HTTP 206, ${String(range)}` };
  return {
    behaviour: PROBES.range,
    variant: res.status === 200 ? 'ignored' : 'other',
    observed: `HTTP ${res.status} for bytes=10-14`,
  };
}

/** A token request with the id and secret form-encoded before Basic (RFC 6749 2.3.1, as openid-client sends them). */
async function probeBasic(session: Session, signal?: AbortSignal): Promise<ProbeResult> {
  const { clientId, clientSecret } = session.options.globus;
  const form = (v: string): string => encodeURIComponent(v).replace(/%20/g, '+');
  if (form(clientId) === clientId && form(clientSecret) === clientSecret) {
    return {
      behaviour: PROBES.basic,
      variant: NOT_MEASURED,
      observed: 'raw works; the secret has no character form-encoding changes, so the forms cannot be told apart',
    };
  }
  const credentials = Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64');
  const res = await request({
    method: 'POST',
    url: new URL(
      'v2/oauth2/token',
      session.tokens.authUrl.endsWith('/') ? session.tokens.authUrl : `${session.tokens.authUrl}/`,
    ),
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: TRANSFER_SCOPE }).toString(),
    retry: false,
    throwOnError: false,
    network: session.network,
    errorContext: { secrets: [clientSecret, credentials] },
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  // The token in a 200 answer is not kept; this only asks whether Auth took the form.
  void text;
  if (res.status === 200)
    return {
      behaviour: PROBES.basic,
      variant: 'raw-or-form',
      observed: 'raw works; form-encoded works too (HTTP 200)',
    };
  if (res.status === 401 || res.status === 400)
    return {
      behaviour: PROBES.basic,
      variant: 'raw',
      observed: `raw works; form-encoded refused (HTTP ${res.status})`,
    };
  return { behaviour: PROBES.basic, variant: 'other', observed: `raw works; form-encoded answered HTTP ${res.status}` };
}

/** A small in-memory upload source. */
const bytes = (data: Buffer) => ({ stream: () => Readable.from([data]), size: data.length });
