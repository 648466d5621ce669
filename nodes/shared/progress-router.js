/**
 * One Registry serves every operation node that uses a config node, but progress is a
 * Registry-wide callback. The router hands each event to the operation it belongs to:
 * the one whose async context the core reported from, or the only one running.
 */
'use strict';
const { AsyncLocalStorage } = require('node:async_hooks');

class ProgressRouter {
  constructor() {
    this.active = new Set();
    this.context = new AsyncLocalStorage();
    this.dispatch = this.dispatch.bind(this);
  }

  /** Runs `work` with `listener` receiving the progress events it causes. */
  async run(listener, work) {
    this.active.add(listener);
    try {
      return await this.context.run(listener, work);
    } finally {
      this.active.delete(listener);
    }
  }

  dispatch(event) {
    const own = this.context.getStore();
    if (own && this.active.has(own)) return own.onProgress(event);
    if (this.active.size === 1) {
      const [only] = this.active;
      only.onProgress(event);
    }
  }
}

module.exports = { ProgressRouter };
