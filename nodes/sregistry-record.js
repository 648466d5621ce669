/** sregistry record: records an image from its manifest, without downloading it. */
'use strict';
const { setupOperationNode, msgString, imageUri } = require('./shared/operation-node.js');

module.exports = function register(RED) {
  function SregistryRecordNode(config) {
    RED.nodes.createNode(this, config);
    setupOperationNode(RED, this, config, {
      verb: 'recording',
      run: ({ node, registry, core, msg, call }) => {
        const uri = imageUri(
          core,
          node,
          msgString(msg, 'uri') || config.image,
          msgString(msg, 'endpoint') || config.endpoint,
        );
        return registry.record(uri, call);
      },
      doneText: (r) => `${r.status} ${r.collection}/${r.name}:${r.tag}`,
    });
  }
  RED.nodes.registerType('sregistry-record', SregistryRecordNode);
};
