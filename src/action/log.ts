/** The Action's log: @actions/core's commands with every line passed through the redactor. */
import * as core from '@actions/core';
import type { Redactor } from './redact.js';

export interface Log {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export function actionLog(redactor: Redactor): Log {
  const clean = (m: string): string => redactor.redact(m);
  return {
    info: (m) => core.info(clean(m)),
    debug: (m) => core.debug(clean(m)),
    warning: (m) => core.warning(clean(m)),
    group: (name, fn) => core.group(clean(name), fn),
  };
}
