import type { TestSandbox } from '../support/sandbox.js';
import { transferToken } from '../support/tokens.js';
import { pollUntil } from '../support/wait.js';

/** A small Transfer client for the task tests: raw HTTP to the sandbox, as any SDK would send it. */

export type Json = Record<string, unknown>;

export interface Answer {
  status: number;
  body: Json;
}

export class TaskClient {
  readonly #token: string;

  constructor(
    private readonly sb: TestSandbox,
    clientId: string = sb.client.id,
  ) {
    this.#token = transferToken(sb, clientId);
  }

  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${this.sb.url}/v0.10/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  async submissionId(): Promise<string> {
    const { body } = await this.call('GET', 'submission_id');
    return body.value as string;
  }

  /** Submits a transfer; `items` are [source, destination, recursive?]. */
  async transfer(
    source: string,
    destination: string,
    items: [string, string, boolean?][],
    extra: Json = {},
  ): Promise<Answer> {
    return this.call('POST', 'transfer', {
      DATA_TYPE: 'transfer',
      submission_id: await this.submissionId(),
      source_endpoint: source,
      destination_endpoint: destination,
      DATA: items.map(([s, d, recursive]) => ({
        DATA_TYPE: 'transfer_item',
        source_path: s,
        destination_path: d,
        recursive: recursive ?? false,
      })),
      ...extra,
    });
  }

  async delete(endpoint: string, paths: string[], extra: Json = {}): Promise<Answer> {
    return this.call('POST', 'delete', {
      DATA_TYPE: 'delete',
      submission_id: await this.submissionId(),
      endpoint,
      DATA: paths.map((path) => ({ DATA_TYPE: 'delete_item', path })),
      ...extra,
    });
  }

  async task(id: string): Promise<Json> {
    const { status, body } = await this.call('GET', `task/${id}`);
    if (status !== 200) throw new Error(`GET task/${id} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Polls the task until `done` holds (by default: no longer ACTIVE); fails after a generous bound. */
  waitFor(id: string, done: (task: Json) => boolean = (t) => t.status !== 'ACTIVE', timeoutMs = 30_000): Promise<Json> {
    return pollUntil(
      () => this.task(id),
      done,
      (task) => `task ${id} did not reach the expected state: ${JSON.stringify(task)}`,
      { boundMs: timeoutMs, everyMs: 25 },
    );
  }

  /** Submits and waits for the end. */
  async run(answer: Promise<Answer>): Promise<Json> {
    const { status, body } = await answer;
    if (status !== 202) throw new Error(`submit answered ${status}: ${JSON.stringify(body)}`);
    return this.waitFor(body.task_id as string);
  }
}
