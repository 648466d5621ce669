/** sregistry delete: removes an image version (file and manifest) from the registry. */
'use strict';
const { setupOperationNode, msgString, imageUri } = require('./shared/operation-node.js');

module.exports = function register(RED) {
  function SregistryDeleteNode(config) {
    RED.nodes.createNode(this, config);
    setupOperationNode(RED, this, config, {
      verb: 'deleting',
      run: ({ node, registry, core, msg, call }) => {
        const uri = imageUri(core, node, msgString(msg, 'uri') || config.image, msgString(msg, 'endpoint') || config.endpoint);
        return registry.delete(uri, call);
      },
      doneText: (r) => `deleted ${r.deleted.length}`,
    });
  }
  RED.nodes.registerType('sregistry-delete', SregistryDeleteNode);
};
