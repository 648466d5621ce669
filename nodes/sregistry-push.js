/**
 * sregistry push: uploads a local image file to the registry. The file comes from
 * msg.filename (as Node-RED's file nodes set it), else the node's File; msg.payload is
 * taken for the path only when the node is set to, so the text of an unrelated node is
 * never pushed as a file name.
 */
'use strict';
const { setupOperationNode, msgString, imageUri } = require('./shared/operation-node.js');

/** Tags from msg.tags (an array, or a list in text) or the node's list, in the core's one tag grammar. */
function tagList(core, value) {
  return core.parseTags(Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value : []);
}

function sourceInfo(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

module.exports = function register(RED) {
  function SregistryPushNode(config) {
    RED.nodes.createNode(this, config);
    setupOperationNode(RED, this, config, {
      verb: 'pushing',
      run: ({ node, registry, core, msg, call }) => {
        const fromPayload = config.payloadIsPath === true && typeof msg.payload === 'string' ? msgString(msg, 'payload') : undefined;
        const file = fromPayload || msgString(msg, 'filename') || (config.file || '').trim();
        if (!file) {
          throw new Error(`${node.type}: no file to push: set msg.filename to its path (a Write File node does), or set a File in the node`);
        }
        const uri = imageUri(core, node, msgString(msg, 'uri') || config.image, msgString(msg, 'endpoint') || config.endpoint);
        const tags = tagList(core, msg.tags !== undefined ? msg.tags : config.tags);
        const source = sourceInfo(msg.source);
        return registry.push(file, uri, { ...call, ...(tags.length ? { tags } : {}), ...(source ? { source } : {}) });
      },
      doneText: (results) => {
        const first = results[0];
        if (!first) return 'pushed';
        const more = results.length > 1 ? ` +${results.length - 1} tags` : '';
        return `${first.status} ${first.collection}/${first.name}:${first.tag}${more}`;
      },
    });
  }
  RED.nodes.registerType('sregistry-push', SregistryPushNode);
};
