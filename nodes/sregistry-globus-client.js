/**
 * Config node: the Globus confidential client and the registry settings a flow shares.
 * It creates the core Registry lazily (one per transport asked for) and closes it when
 * the flow stops, after the operations still using it have settled.
 */
'use strict';
const { loadCore } = require('./shared/core.js');

const TRANSPORTS = ['auto', 'https', 'transfer'];
const text = (v) => (typeof v === 'string' ? v.trim() : '');

module.exports = function register(RED) {
  function SregistryGlobusClientNode(config) {
    RED.nodes.createNode(this, config);
    setupClient(this, config);
  }

  function setupClient(node, config) {
    node.name = config.name;
    node.defaultEndpoint = text(config.endpoint);
    node.defaultTransport = TRANSPORTS.includes(config.transport) ? config.transport : 'auto';

    const registries = new Map();
    const running = new Set();
    let closed = false;

    async function createRegistry(transport) {
      const core = await loadCore();
      const env = core.registryOptionsFromEnv(process.env);
      const creds = node.credentials || {};
      const settings = {
        root: text(config.root),
        storage: text(config.storage),
        database: text(config.database),
        localEndpoint: text(config.localEndpoint),
      };
      const options = { ...env, globus: { ...env.globus } };
      for (const [key, value] of Object.entries(settings)) if (value) options[key] = value;
      const globus = { clientId: text(creds.clientId), clientSecret: text(creds.clientSecret), authUrl: text(config.authUrl), transferUrl: text(config.transferUrl) };
      for (const [key, value] of Object.entries(globus)) if (value) options.globus[key] = value;
      if (!options.globus.clientId || !options.globus.clientSecret) {
        throw new Error('The sregistry Globus client has no client id or secret: set them in its configuration');
      }
      options.transport = transport;
      return new core.Registry(options);
    }

    /** The Registry for a transport (the node's default when absent), created on first use. */
    node.registry = function registry(transport) {
      if (closed) return Promise.reject(new Error('The sregistry Globus client is closed'));
      const key = TRANSPORTS.includes(transport) ? transport : node.defaultTransport;
      if (!registries.has(key)) {
        const made = createRegistry(key);
        made.catch(() => registries.delete(key));
        registries.set(key, made);
      }
      return registries.get(key);
    };

    /**
     * Runs one operation, `work(registry)`; the config node waits for it before closing
     * its registries. Progress reaches the node through the call's own onProgress.
     */
    node.run = function run(transport, work) {
      const job = node.registry(transport).then((registry) => work(registry));
      const settled = job.then(
        () => undefined,
        () => undefined,
      );
      running.add(settled);
      settled.then(() => running.delete(settled));
      return job;
    };

    node.on('close', (done) => {
      closed = true;
      Promise.all([...running])
        .then(() => Promise.allSettled([...registries.values()].map((made) => made.then((r) => r.close()))))
        .then(() => {
          registries.clear();
          done();
        });
    });
  }

  RED.nodes.registerType('sregistry-globus-client', SregistryGlobusClientNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
    },
  });
};
