import { Agent } from 'undici';

/** Settings of the shared connection pool. */
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

let shared: Agent | undefined;

/** The one keep-alive agent every request of the core goes through; created on first use. */
export function getAgent(): Agent {
  shared ??= new Agent({
    connections: DEFAULT_AGENT_SETTINGS.connections,
    keepAliveTimeout: DEFAULT_AGENT_SETTINGS.keepAliveTimeoutMs,
    connect: { timeout: DEFAULT_AGENT_SETTINGS.connectTimeoutMs },
  });
  return shared;
}

/**
 * Closes the shared agent's connections (at process exit, after tests). The next request
 * creates a fresh agent.
 */
export async function closeHttp(): Promise<void> {
  const agent = shared;
  shared = undefined;
  if (!agent) return;
  try {
    await agent.close();
  } catch {
    await agent.destroy();
  }
}
