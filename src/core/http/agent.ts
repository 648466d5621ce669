import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { SregistryError } from '../errors.js';
import { pooledReads } from './read-buffers.js';

/** Settings of the connection pools. */
export interface AgentSettings {
  /** Most open connections per origin. */
  connections: number;
  /** How long an idle keep-alive connection stays open, ms. */
  keepAliveTimeoutMs: number;
  /** How long a TCP/TLS connect may take, ms. */
  connectTimeoutMs: number;
}

export const DEFAULT_AGENT_SETTINGS: Readonly<AgentSettings> = {
  connections: 16,
  keepAliveTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
};

/**
 * Which proxy requests go through, as curl reads it. A field left undefined comes from the
 * environment (`HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy`, `NO_PROXY`/
 * `no_proxy`, the lower-case name first, as undici reads them); an empty string means none.
 */
export interface ProxySettings {
  /** Proxy for https URLs (CONNECT tunnel), e.g. `http://user:pass@proxy.example:3128`. */
  httpsProxy?: string;
  /** Proxy for plain http URLs (absolute-form requests). */
  httpProxy?: string;
  /** Hosts that bypass the proxy: names (also matching their subdomains), `.suffix`, `host:port`, `*`. */
  noProxy?: string;
}

/** A proxy as it may be shown: scheme, host and port, never the credentials. */
export interface ProxyInUse {
  /** `host:port`. */
  hostPort: string;
  /** Where the setting came from: `HTTPS_PROXY`, `http_proxy`, `the proxy setting`... */
  source: string;
  /** The user name and password of its URL, for redaction. */
  secrets: string[];
}

interface ResolvedProxies {
  https: { url: string; source: string } | undefined;
  http: { url: string; source: string } | undefined;
  noProxy: string;
}

/**
 * The dispatcher every request of the core goes through (tokens, discovery, Transfer,
 * collection bodies), with the proxies it applies. One per distinct proxy setting.
 */
export class Network {
  readonly dispatcher: Dispatcher;
  readonly #proxies: ResolvedProxies;
  readonly #noProxy: NoProxyEntry[];

  constructor(proxies: ResolvedProxies) {
    this.#proxies = proxies;
    this.#noProxy = parseNoProxy(proxies.noProxy);
    this.dispatcher = new EnvHttpProxyAgent({
      httpProxy: proxies.http?.url ?? '',
      httpsProxy: proxies.https?.url ?? '',
      noProxy: proxies.noProxy,
      connections: DEFAULT_AGENT_SETTINGS.connections,
      keepAliveTimeout: DEFAULT_AGENT_SETTINGS.keepAliveTimeoutMs,
      // Sockets to servers and to proxies read into pooled buffers (read-buffers.ts).
      connect: { timeout: DEFAULT_AGENT_SETTINGS.connectTimeoutMs, onread: pooledReads() },
      proxyTls: { onread: pooledReads() },
      connectTimeout: DEFAULT_AGENT_SETTINGS.connectTimeoutMs,
    } as EnvHttpProxyAgent.Options);
  }

  /** The proxy a request to `url` goes through, or undefined when it goes direct. */
  proxyFor(url: URL): ProxyInUse | undefined {
    const chosen = url.protocol === 'https:' ? (this.#proxies.https ?? this.#proxies.http) : this.#proxies.http;
    if (!chosen) return undefined;
    const host = url.hostname
      .replace(/^\[(.+)\]$/, '$1')
      .replace(/\.$/, '')
      .toLowerCase();
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    if (bypasses(this.#noProxy, host, port)) return undefined;
    return describeProxy(chosen.url, chosen.source);
  }

  close(): Promise<void> {
    return this.dispatcher.close().catch(() => this.dispatcher.destroy());
  }
}

/**
 * `host:port` and the credentials of a proxy URL: the user (a token is often given as the
 * user, with no password), the password and both together, raw and decoded. Where the
 * proxy URL itself could show, `safeText` hides its whole userinfo.
 */
function describeProxy(raw: string, source: string): ProxyInUse {
  try {
    const u = new URL(raw);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const decode = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const parts = [u.username, u.password, decode(u.username), decode(u.password)];
    const pairs = u.password ? [`${u.username}:${u.password}`, `${decode(u.username)}:${decode(u.password)}`] : [];
    return {
      hostPort: `${u.hostname}:${port}`,
      source,
      secrets: [...new Set([...pairs, ...parts])].filter((s) => s.length > 0),
    };
  } catch {
    return { hostPort: '(unparsable proxy URL)', source, secrets: [raw] };
  }
}

interface NoProxyEntry {
  host: string;
  port: number;
  subdomainsOnly: boolean;
}

/** NO_PROXY as undici's EnvHttpProxyAgent reads it (so what we report matches what it does). */
function parseNoProxy(value: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const entry of value.split(/[,\s]/)) {
    if (!entry) continue;
    const v6 = /^\[(.+)\]:(\d+)$/.exec(entry);
    let host: string;
    let port = 0;
    if (v6) {
      host = v6[1]!;
      port = Number(v6[2]);
    } else {
      const bare = entry.replace(/^\[(.+)\]$/, '$1');
      const hostPort = (bare.match(/:/g) ?? []).length === 1 ? /^(.+):(\d+)$/.exec(bare) : null;
      host = hostPort ? hostPort[1]! : bare;
      port = hostPort ? Number(hostPort[2]) : 0;
    }
    entries.push({
      host: host
        .replace(/^\*?\./, '')
        .replace(/^(.+)\.$/, '$1')
        .toLowerCase(),
      port,
      subdomainsOnly: entry.startsWith('*'),
    });
  }
  return entries;
}

function bypasses(entries: NoProxyEntry[], host: string, port: number): boolean {
  for (const e of entries) {
    if (e.port && e.port !== port) continue;
    if (e.host === '*') return true;
    if (!e.subdomainsOnly && host === e.host) return true;
    if (host.endsWith(`.${e.host}`)) return true;
  }
  return false;
}

/** The proxies a setting means, the environment filling what it leaves undefined. */
export function resolveProxies(settings: ProxySettings = {}, env: NodeJS.ProcessEnv = process.env): ResolvedProxies {
  const pick = (given: string | undefined, names: string[]): { url: string; source: string } | undefined => {
    if (given !== undefined)
      return given.trim()
        ? { url: proxyUrl(given.trim(), 'the proxy setting'), source: 'the proxy setting' }
        : undefined;
    for (const name of names) {
      const value = env[name]?.trim();
      if (value) return { url: proxyUrl(value, name), source: name };
    }
    return undefined;
  };
  return {
    https: pick(settings.httpsProxy, ['https_proxy', 'HTTPS_PROXY']),
    http: pick(settings.httpProxy, ['http_proxy', 'HTTP_PROXY']),
    noProxy: settings.noProxy ?? env.no_proxy ?? env.NO_PROXY ?? '',
  };
}

/** A proxy URL as curl reads one: a bare `host:port` is an http proxy. Never echoes the value (it may hold a password). */
function proxyUrl(raw: string, source: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new SregistryError(
      'INVALID_INPUT',
      `${source} is not a proxy URL; give it as http://host:port (credentials as http://user:password@host:port)`,
    );
  }
  if (
    parsed.protocol === 'socks5:' ||
    parsed.protocol === 'socks:' ||
    parsed.protocol === 'socks5h:' ||
    parsed.protocol === 'socks4:'
  ) {
    // undici's SOCKS support is experimental (it warns on stderr); not used, and never silently bypassed.
    throw new SregistryError(
      'INVALID_INPUT',
      `${source} names a SOCKS proxy, which is not supported; give an http:// or https:// proxy URL`,
    );
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '') {
    throw new SregistryError(
      'INVALID_INPUT',
      `${source} names a ${parsed.protocol} proxy; give an http:// or https:// URL`,
    );
  }
  return withScheme;
}

const networks = new Map<string, Network>();
/** The network last found for a setting and environment as given, before resolving (every request asks). */
const byRawSetting = new Map<string, Network>();
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY'];

/**
 * The network for a proxy setting (default: the environment's, read now), shared by
 * every caller with the same setting; created on first use.
 */
export function networkFor(settings?: ProxySettings): Network {
  const raw = JSON.stringify([
    settings?.httpsProxy,
    settings?.httpProxy,
    settings?.noProxy,
    ...PROXY_VARIABLES.map((name) => process.env[name]),
  ]);
  const known = byRawSetting.get(raw);
  if (known) return known;
  const proxies = resolveProxies(settings);
  const key = JSON.stringify([proxies.https?.url, proxies.http?.url, proxies.noProxy]);
  let network = networks.get(key);
  if (!network) {
    network = new Network(proxies);
    networks.set(key, network);
  }
  byRawSetting.set(raw, network);
  return network;
}

/**
 * Closes every network's connections (at process exit, after tests). The next request
 * creates fresh ones.
 */
export async function closeHttp(): Promise<void> {
  const all = [...networks.values()];
  networks.clear();
  byRawSetting.clear();
  await Promise.all(all.map((n) => n.close()));
}
