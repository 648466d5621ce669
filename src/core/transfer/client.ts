import type { AccessRuleDocument, EndpointDocument, FileEntry, OperationResult, TaskDocument, TaskEvent } from './documents.js';
import { TransferApi, type CallOptions, type TransferClientOptions } from './api.js';
import * as access from './access.js';
import * as endpoints from './endpoints.js';
import * as operations from './operations.js';
import * as tasks from './tasks.js';
import { waitForTask, type WaitOptions } from './wait.js';

/**
 * Typed client of the Globus Transfer API v0.10: endpoints, file operations, task
 * submission and waiting. Every call carries a token from the TokenSource (renewed once on
 * a 401; ConsentRequired answers add the required scopes) and the core's retry policy.
 */
export class TransferClient {
  readonly #api: TransferApi;

  constructor(options: TransferClientOptions) {
    this.#api = new TransferApi(options);
  }

  /** The scopes this client's tokens are requested for (grows after ConsentRequired answers). */
  get scopes(): readonly string[] {
    return this.#api.scopes;
  }

  /** Asks for these scopes on every later call (e.g. `transferScopeWithDataAccess([id])` before using a mapped collection). */
  requireScopes(scopes: readonly string[]): void {
    this.#api.requireScopes(scopes);
  }

  searchEndpoints(options: endpoints.EndpointSearchOptions = {}): AsyncIterable<EndpointDocument> {
    return endpoints.searchEndpoints(this.#api, options);
  }

  getEndpoint(id: string, options: CallOptions = {}): Promise<EndpointDocument> {
    return endpoints.getEndpoint(this.#api, id, options);
  }

  /** The access rules of a guest collection (owner, administrators and access managers only). */
  accessRules(endpoint: string, options: CallOptions = {}): Promise<AccessRuleDocument[]> {
    return access.listAccessRules(this.#api, endpoint, options);
  }

  createAccessRule(endpoint: string, rule: access.NewAccessRule, options: CallOptions = {}): Promise<string> {
    return access.createAccessRule(this.#api, endpoint, rule, options);
  }

  updateAccessRule(endpoint: string, id: string, permissions: 'r' | 'rw', options: CallOptions = {}): Promise<void> {
    return access.updateAccessRule(this.#api, endpoint, id, permissions, options);
  }

  deleteAccessRule(endpoint: string, id: string, options: CallOptions = {}): Promise<void> {
    return access.deleteAccessRule(this.#api, endpoint, id, options);
  }

  ls(endpoint: string, path: string, options: operations.LsOptions = {}): AsyncIterable<FileEntry> {
    return operations.ls(this.#api, endpoint, path, options);
  }

  stat(endpoint: string, path: string, options: CallOptions = {}): Promise<FileEntry | undefined> {
    return operations.stat(this.#api, endpoint, path, options);
  }

  mkdir(endpoint: string, path: string, options: CallOptions = {}): Promise<operations.MkdirOutcome> {
    return operations.mkdir(this.#api, endpoint, path, options);
  }

  rename(endpoint: string, from: string, to: string, options: CallOptions = {}): Promise<void> {
    return operations.rename(this.#api, endpoint, from, to, options);
  }

  submissionId(options: CallOptions = {}): Promise<string> {
    return tasks.submissionId(this.#api, options);
  }

  submitTransfer(options: tasks.SubmitTransferOptions): Promise<tasks.Submitted> {
    return tasks.submitTransfer(this.#api, options);
  }

  submitDelete(options: tasks.SubmitDeleteOptions): Promise<tasks.Submitted> {
    return tasks.submitDelete(this.#api, options);
  }

  getTask(id: string, options: CallOptions = {}): Promise<TaskDocument> {
    return tasks.getTask(this.#api, id, options);
  }

  cancelTask(id: string, options: CallOptions = {}): Promise<OperationResult> {
    return tasks.cancelTask(this.#api, id, options);
  }

  /** Newest first; `pageSize` events per request (default 100). */
  events(id: string, options: CallOptions & { pageSize?: number } = {}): AsyncIterable<TaskEvent> {
    return tasks.events(this.#api, id, options);
  }

  waitForTask(id: string, options: WaitOptions = {}): Promise<TaskDocument> {
    return waitForTask(this.#api, id, options);
  }
}
