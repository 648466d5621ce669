/** sregistry pull: downloads an image into local storage and records it. */
'use strict';
const { setupOperationNode, msgString, imageUri } = require('./shared/operation-node.js');

module.exports = function register(RED) {
  function SregistryPullNode(config) {
    RED.nodes.createNode(this, config);
    setupOperationNode(RED, this, config, {
      verb: 'pulling',
      run: ({ node, registry, core, msg, call }) => {
        const uri = imageUri(core, node, msgString(msg, 'uri') || config.image, msgString(msg, 'endpoint') || config.endpoint);
        return registry.pull(uri, call);
      },
      doneText: (r) => `${r.status} ${r.collection}/${r.name}:${r.tag}`,
    });
  }
  RED.nodes.registerType('sregistry-pull', SregistryPullNode);
};
