/** The Action's log: @actions/core's commands with every line passed through the redactor. */
import * as core from '@actions/core';
import { displayLine } from '../core/display.js';
import type { Redactor } from './redact.js';

export interface Log {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export function actionLog(redactor: Redactor): Log {
  // One line each: a raw newline in a user or server string could start a workflow command.
  const clean = (m: string): string => redactor.redact(displayLine(m));
  return {
    info: (m) => core.info(clean(m)),
    debug: (m) => core.debug(clean(m)),
    warning: (m) => core.warning(clean(m)),
    group: (name, fn) => core.group(clean(name), fn),
  };
}
