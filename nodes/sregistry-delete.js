/**
 * sregistry delete: removes an image tag or version from the registry, or (mode prune)
 * prunes a name, a collection or the whole registry down to its newest versions.
 */
'use strict';
const { setupOperationNode, msgString, imageUri } = require('./shared/operation-node.js');

/** `globus://<endpoint>[/<collection>[/<name>]]` from msg.uri / the Image setting; a reference names collection/name. */
function pruneScope(core, node, text, endpoint) {
  if (text && core.isGlobusUri(text)) return text;
  const ep = endpoint || (node.client && node.client.defaultEndpoint);
  if (!ep)
    throw new Error(
      `${node.type}: no endpoint to prune: set one in the node or its Globus client, send msg.endpoint, or give a globus:// URI`,
    );
  const registry = core.formatGlobusUri({ endpoint: ep });
  if (!text) return registry;
  if (/[:@]/.test(text))
    throw new Error(`${node.type}: prune works on names: give collection/name without a tag or version, not "${text}"`);
  const ref = core.parseReference(text);
  return `${registry}/${ref.collection}/${ref.name}`;
}

/** A whole number, 0 or more, from msg.keep or the node's Keep. */
function keepCount(node, msg, config) {
  const raw = typeof msg.keep === 'number' || typeof msg.keep === 'string' ? msg.keep : config.keep;
  const text = String(raw === undefined || raw === null ? '' : raw).trim();
  if (!/^\d+$/.test(text))
    throw new Error(
      `${node.type}: prune needs Keep (or msg.keep), a whole number of versions, 0 or more; got "${text}"`,
    );
  return Number(text);
}

function graceHours(node, config) {
  const text = String(config.grace === undefined || config.grace === null ? '' : config.grace).trim();
  if (text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${node.type}: Grace must be a number of hours, 0 or more; got "${text}"`);
  return n;
}

module.exports = function register(RED) {
  function SregistryDeleteNode(config) {
    RED.nodes.createNode(this, config);
    const pruning = config.mode === 'prune';
    setupOperationNode(RED, this, config, {
      verb: pruning ? 'pruning' : 'deleting',
      moves: false,
      run: ({ node, registry, core, msg, call }) => {
        const endpoint = msgString(msg, 'endpoint') || config.endpoint;
        if (!pruning)
          return registry.delete(imageUri(core, node, msgString(msg, 'uri') || config.image, endpoint), call);
        const scope = pruneScope(core, node, msgString(msg, 'uri') || config.image, endpoint);
        const grace = graceHours(node, config);
        const dryRun = msg.dryRun === true || (msg.dryRun === undefined && config.dryRun === true);
        return registry.prune(scope, {
          ...call,
          keep: keepCount(node, msg, config),
          dryRun,
          ...(grace !== undefined ? { graceHours: grace } : {}),
        });
      },
      doneText: (r) =>
        Array.isArray(r.removed)
          ? `${r.dryRun ? 'would prune' : 'pruned'} ${r.removed.length}`
          : `deleted ${r.deleted.length}`,
    });
  }
  RED.nodes.registerType('sregistry-delete', SregistryDeleteNode);
};
