/** sregistry search: images in a registry, or endpoints when no endpoint is given. */
'use strict';
const { setupOperationNode, msgString } = require('./shared/operation-node.js');

module.exports = function register(RED) {
  function SregistrySearchNode(config) {
    RED.nodes.createNode(this, config);
    setupOperationNode(RED, this, config, {
      verb: 'searching',
      moves: false,
      run: ({ node, registry, msg, call }) => {
        const query = typeof msg.query === 'string' ? msg.query.trim() : (config.query || '').trim();
        let endpoint = msgString(msg, 'endpoint');
        if (!endpoint && config.scope !== 'endpoints')
          endpoint = (config.endpoint || '').trim() || node.client.defaultEndpoint;
        if (!endpoint && config.scope !== 'endpoints') {
          throw new Error(
            `${node.type}: no endpoint to list: set one in the node or its Globus client, send msg.endpoint, or search endpoints`,
          );
        }
        return registry.search(query || undefined, endpoint ? { ...call, endpoint } : call);
      },
      doneText: (hits) => `${hits.length} ${hits.length === 1 ? 'hit' : 'hits'}`,
    });
  }
  RED.nodes.registerType('sregistry-search', SregistrySearchNode);
};
