/**
 * sregistry watch: from deploy on, checks a collection, a name or a tag at an interval and
 * sends one message per new version (pulled first when asked). What was seen is kept in
 * the node's context, in the store the node names, so a restart does not send it again.
 */
'use strict';
const { loadCore } = require('./shared/core.js');
const { shorten, errorText } = require('./shared/operation-node.js');

const STATE_KEY = 'sregistry-watch-state';
const PROGRESS_INTERVAL_MS = 500;

const text = (v) => (typeof v === 'string' ? v.trim() : '');
const clock = (iso) => new Date(iso).toTimeString().slice(0, 8);

module.exports = function register(RED) {
  function SregistryWatchNode(config) {
    RED.nodes.createNode(this, config);
    setupWatch(this, config);
  }

  function setupWatch(node, config) {
    node.client = RED.nodes.getNode(config.client);
    const store = text(config.store) || undefined;
    const controller = new AbortController();
    let watch;
    let running;

    const context = node.context();
    const load = () =>
      new Promise((ok, fail) => context.get(STATE_KEY, store, (err, value) => (err ? fail(err) : ok(value))));
    const save = (state) =>
      new Promise((ok, fail) => context.set(STATE_KEY, state, store, (err) => (err ? fail(err) : ok())));

    /** The target as a globus:// URI: given so, or `collection[/name[:tag]]` on the node's or the client's endpoint. */
    function targetUri(core) {
      const target = text(config.target);
      if (!target) throw new Error('sregistry-watch: nothing to watch: set a collection, name or tag in the node');
      if (core.isGlobusUri(target)) return target;
      const ep = text(config.endpoint) || node.client.defaultEndpoint;
      if (!ep)
        throw new Error(
          `sregistry-watch: no endpoint for ${target}: set one in the node or its Globus client, or give a globus:// URI`,
        );
      return `${core.formatGlobusUri({ endpoint: ep })}/${target}`;
    }

    function transportOf(core) {
      const wanted = text(config.transport);
      if (!wanted) return undefined;
      try {
        return core.parseTransport(wanted);
      } catch {
        throw new Error(`Unknown transport "${wanted}": use ${core.TRANSPORTS.join(', ')}`);
      }
    }

    /** An error as a node shows it: the client secret and tokens taken out, the core's code kept for Catch nodes. */
    function cleanError(core, err) {
      const out = new Error(core.displayLine(node.client.redact(core, err && err.message ? err.message : String(err))));
      if (err && typeof err.code === 'string') out.code = err.code;
      return out;
    }

    function onProgress() {
      let last = 0;
      return (event) => {
        const now = Date.now();
        if (!event || typeof event.bytes !== 'number' || now - last < PROGRESS_INTERVAL_MS) return;
        last = now;
        const amount =
          event.total > 0 ? `${Math.min(100, Math.floor((event.bytes / event.total) * 100))}%` : `${event.bytes} B`;
        node.status({ fill: 'blue', shape: 'dot', text: `pulling ${amount}` });
      };
    }

    async function run() {
      const core = await loadCore();
      const target = targetUri(core);
      const seconds = Number(config.interval);
      const intervalMs =
        Number.isFinite(seconds) && config.interval !== ''
          ? Math.round(seconds * 1000)
          : core.DEFAULT_WATCH_INTERVAL_MS;
      const canonical = core.formatWatchTarget(core.parseWatchTarget(target));
      const saved = await load();
      let state;
      if (saved !== undefined) {
        try {
          state = core.restoreWatchState(saved, target);
        } catch (err) {
          // A state of another target (the node was edited) or an unreadable one: start afresh.
          node.warn(`sregistry-watch: not using the saved state (${err.message}); versions there now count as seen`);
        }
      }
      const transport = transportOf(core);
      await node.client
        .run(async (registry) => {
          watch = registry.watch(target, {
            ...(transport ? { transport } : {}),
            intervalMs,
            signal: controller.signal,
            pull: config.pull === true,
            ...(config.pull === true && (config.verify || '').trim()
              ? { verify: core.parseVerifyPolicy(config.verify, 'sregistry-watch: verify') }
              : {}),
            fromStart: config.fromStart === true,
            onProgress: onProgress(),
            ...(state ? { state } : {}),
          });
          node.status({ fill: 'blue', shape: 'ring', text: 'watching: first check' });
          for await (const event of watch) {
            if (event.type === 'version') {
              const v = event.version;
              const msg = { topic: canonical, payload: v, uri: v.uri };
              if (v.image !== undefined) msg.filename = v.image;
              node.send(msg);
              await save(event.state);
            } else if (event.type === 'check') {
              await save(event.state);
              const found = event.found > 0 ? `, ${event.found} new` : '';
              const failed = event.failed > 0 ? `, ${event.failed} failed` : '';
              node.status({
                fill: event.failed > 0 ? 'yellow' : 'green',
                shape: 'dot',
                text: `watching, checked ${clock(event.at)}${found}${failed}`,
              });
            } else {
              const err = cleanError(core, event.error);
              node.status({ fill: 'yellow', shape: 'ring', text: shorten(`${errorText(err)} (watching)`) });
              node.error(err, { topic: canonical, payload: undefined });
            }
          }
        })
        .catch((err) => {
          throw cleanError(core, err);
        });
    }

    if (!node.client) {
      node.status({ fill: 'red', shape: 'ring', text: 'no Globus client' });
    } else {
      node.status({ fill: 'grey', shape: 'ring', text: 'starting' });
      running = run().then(
        () => undefined,
        (err) => {
          if (controller.signal.aborted) return;
          node.status({ fill: 'red', shape: 'ring', text: `stopped: ${errorText(err)}` });
          node.error(err, { payload: undefined });
        },
      );
    }

    // Any message asks for a check now (no sooner than a second after the last one).
    node.on('input', (msg, send, done) => {
      if (watch) watch.checkNow();
      done();
    });

    node.on('close', (removed, done) => {
      controller.abort();
      Promise.resolve(running).then(() => {
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('sregistry-watch', SregistryWatchNode);
};
