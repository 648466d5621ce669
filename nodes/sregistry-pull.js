/** sregistry pull: downloads an image into local storage and records it; msg.filename is the local file, for a file node after it. */
'use strict';
const { setupOperationNode, msgString, imageUri } = require('./shared/operation-node.js');

module.exports = function register(RED) {
  function SregistryPullNode(config) {
    RED.nodes.createNode(this, config);
    setupOperationNode(RED, this, config, {
      verb: 'pulling',
      run: async ({ node, registry, core, msg, call }) => {
        const uri = imageUri(
          core,
          node,
          msgString(msg, 'uri') || config.image,
          msgString(msg, 'endpoint') || config.endpoint,
        );
        const policy = msgString(msg, 'verify') || (config.verify || '').trim();
        const verify = policy ? core.parseVerifyPolicy(policy, `${node.type}: verify`) : undefined;
        const result = await registry.pull(uri, { ...call, ...(verify ? { verify } : {}) });
        // The message that goes out is this one: a file node after the pull reads msg.filename.
        if (typeof result.image === 'string') msg.filename = result.image;
        return result;
      },
      doneText: (r) => `${r.status} ${r.collection}/${r.name}:${r.tag}`,
    });
  }
  RED.nodes.registerType('sregistry-pull', SregistryPullNode);
};
