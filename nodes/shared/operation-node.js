/**
 * What every sregistry operation node shares: one operation at a time with a bounded
 * queue behind it, status from resolving through progress to done or error, errors
 * through done(err) so Catch nodes get the original message, and a close that aborts
 * the running operation and waits for it to settle.
 */
'use strict';

const QUEUE_LIMIT = 100;
/** Least time between two progress statuses. */
const PROGRESS_INTERVAL_MS = 500;
const STATUS_TEXT_MAX = 40;

function shorten(text, max = STATUS_TEXT_MAX) {
  const one = String(text).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function errorText(err) {
  if (err && typeof err.code === 'string' && /^[A-Z_]+$/.test(err.code)) return shorten(`${err.code}: ${err.message}`);
  return shorten(err && err.message ? err.message : String(err));
}

/** The error with its message made safe for one line (the core's display rule), code and fields kept. */
function oneLineError(core, err) {
  if (!core || !(err instanceof Error)) return err;
  const line = core.displayLine(err.message);
  if (line !== err.message) err.message = line;
  return err;
}

function sizeText(bytes) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A queue limit from the editor: a positive integer, else the default. */
function queueLimit(value) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : QUEUE_LIMIT;
}

/**
 * Wires an operation node. `op.verb` names the work in progress ("pulling"); `op.run(ctx)`
 * does it with `ctx = { node, registry, msg, call, core }` (`call` = the signal and this
 * operation's onProgress, to pass to the Registry) and returns the payload;
 * `op.doneText(result)` is the short status when it worked. The transport comes from
 * msg.transport or the node (the client's default when neither names one), and goes into
 * the call's options: the client's one Registry serves every transport. An operation that
 * moves no bytes (`op.moves === false`: search, delete) takes none.
 */
function setupOperationNode(RED, node, config, op) {
  const { loadCore } = require('./core.js');
  const { NODE_VERSION_STATUS, nodeVersionProblem } = require('./node-version.js');
  node.client = RED.nodes.getNode(config.client);
  const limit = queueLimit(config.queueLimit);
  const queue = [];
  let current;
  let closing = false;
  let shown = { fill: 'grey', shape: 'ring', text: '' };

  const queuedSuffix = () => (queue.length > 0 ? ` (+${queue.length} queued)` : '');
  function show(status) {
    shown = status;
    node.status({ ...status, text: `${status.text}${current ? queuedSuffix() : ''}` });
  }

  const versionProblem = nodeVersionProblem();
  if (versionProblem) {
    node.status({ fill: 'red', shape: 'ring', text: NODE_VERSION_STATUS });
    node.error(versionProblem);
  } else if (!node.client) {
    node.status({ fill: 'red', shape: 'ring', text: 'no Globus client' });
  } else {
    node.status({});
  }

  function progressListener() {
    let last = 0;
    let lastText = '';
    return {
      onProgress(event) {
        if (!current || !event || typeof event.bytes !== 'number') return;
        const now = Date.now();
        const complete = event.total !== undefined && event.bytes >= event.total;
        if (!complete && now - last < PROGRESS_INTERVAL_MS) return;
        const verb = event.phase === 'hash' ? 'hashing' : op.verb;
        const amount =
          event.total > 0 ? `${Math.min(100, Math.floor((event.bytes / event.total) * 100))}%` : sizeText(event.bytes);
        const text = `${verb} ${amount}`;
        if (text === lastText && !complete) return;
        last = now;
        lastText = text;
        show({ fill: 'blue', shape: 'dot', text });
      },
    };
  }

  async function perform(item) {
    const controller = new AbortController();
    const job = { controller, item };
    current = job;
    show({ fill: 'blue', shape: 'ring', text: 'resolving' });
    let core;
    try {
      core = await loadCore();
      const transport = op.moves === false ? noTransport(core, item.msg) : pickTransport(core, item.msg, config);
      const call = {
        signal: controller.signal,
        onProgress: progressListener().onProgress,
        ...(transport ? { transport } : {}),
      };
      const result = await node.client.run((registry) => op.run({ node, registry, core, msg: item.msg, call }));
      item.msg.payload = result;
      current = undefined;
      show({ fill: 'green', shape: 'dot', text: shorten(core.displayLine(op.doneText(result))) });
      item.send(item.msg);
      item.done();
    } catch (err) {
      current = undefined;
      if (core && err && typeof err.message === 'string') err.message = node.client.redact(core, err.message);
      const safe = oneLineError(core, err);
      show({ fill: 'red', shape: 'ring', text: errorText(safe) });
      item.done(safe);
    }
  }

  async function drain(first) {
    let item = first;
    while (item && !closing) {
      await perform(item);
      item = queue.shift();
    }
  }

  let draining;
  node.on('input', (msg, send, done) => {
    if (closing) return done(new Error(`${node.type} is stopping; the message was not processed`));
    if (!node.client) return done(new Error(`${node.type} has no Globus client configured: pick one in its settings`));
    const item = { msg, send, done };
    if (draining) {
      if (queue.length >= limit) {
        return done(
          new Error(`${node.type}: ${limit} messages already wait behind the running operation; this one was dropped`),
        );
      }
      queue.push(item);
      show(shown);
      return undefined;
    }
    draining = drain(item).finally(() => {
      draining = undefined;
    });
    return undefined;
  });

  node.on('close', (removed, done) => {
    closing = true;
    const dropped = queue.splice(0);
    for (const item of dropped) item.done(new Error(`${node.type} stopped before this message ran`));
    if (current) current.controller.abort();
    Promise.resolve(draining).then(() => {
      node.status({});
      done();
    });
  });
}

/**
 * An optional string from msg: trimmed, or undefined when missing or blank. Any other
 * value is an error: falling back to the node's setting instead could, say, delete the
 * configured image when msg.uri was meant to name another one.
 */
function msgString(msg, key) {
  const v = msg[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw new Error(
      `msg.${key} must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}: set it to text, or remove it to use the node's setting`,
    );
  }
  return v.trim() !== '' ? v.trim() : undefined;
}

/**
 * The `globus://` URI of an image from a node: a full URI as given, else a reference
 * (`[collection/]name[:tag][@version]`) on an endpoint (msg, node, or the client's default).
 */
function imageUri(core, node, image, endpoint) {
  if (!image) throw new Error(`${node.type}: no image: set one in the node or send msg.uri`);
  if (core.isGlobusUri(image)) return image;
  const ep = endpoint || (node.client && node.client.defaultEndpoint);
  if (!ep)
    throw new Error(
      `${node.type}: no endpoint for ${image}: set one in the node or its Globus client, send msg.endpoint, or give a globus:// URI`,
    );
  return core.formatGlobusUri({ endpoint: ep, ref: core.parseReference(image) });
}

/** The transport named in msg.transport or the node (the core's list, any case); undefined for the client's default. */
function pickTransport(core, msg, config) {
  const wanted = msgString(msg, 'transport') || (config.transport || '').trim();
  if (!wanted) return undefined;
  try {
    return core.parseTransport(wanted);
  } catch {
    throw new Error(`Unknown transport "${wanted}": use ${core.TRANSPORTS.join(', ')}`);
  }
}

/**
 * For an operation that moves no bytes: the node has no Transport (one saved by an older
 * flow is not read); msg.transport is checked as on the other nodes, so a message sent to
 * several nodes fails alike, and not used.
 */
function noTransport(core, msg) {
  pickTransport(core, msg, {});
  return undefined;
}

module.exports = { setupOperationNode, msgString, imageUri, shorten, errorText, QUEUE_LIMIT };
