/**
 * Config node: the Globus confidential client and the registry settings a flow shares.
 * It creates the core Registry lazily, one for every node using the client whatever
 * transport each asks for (the transport goes with each call), and closes it when the flow
 * stops, after the operations still using it have settled.
 */
'use strict';
const { loadCore } = require('./shared/core.js');

const text = (v) => (typeof v === 'string' ? v.trim() : '');

/** The longest one operation may take when the node does not say, in minutes. */
const DEFAULT_TIMEOUT_MINUTES = 60;

function timeoutMinutes(value) {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_TIMEOUT_MINUTES;
}

/**
 * The proxy settings of a Node-RED `http proxy` config node, as the core takes them; with
 * none, undefined: the environment's (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) apply.
 */
function proxySettings(proxyNode) {
  if (!proxyNode) return undefined;
  let url = text(proxyNode.url);
  if (!url) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `http://${url}`;
  const creds = proxyNode.credentials || {};
  if (text(creds.username)) {
    try {
      const parsed = new URL(url);
      parsed.username = encodeURIComponent(text(creds.username));
      parsed.password = encodeURIComponent(creds.password || '');
      url = parsed.href;
    } catch {
      // The core reports a URL it cannot read, without echoing it.
    }
  }
  const noProxy = Array.isArray(proxyNode.noproxy)
    ? proxyNode.noproxy.map(text).filter(Boolean).join(',')
    : text(proxyNode.noproxy);
  return { httpsProxy: url, httpProxy: url, noProxy };
}

module.exports = function register(RED) {
  function SregistryGlobusClientNode(config) {
    RED.nodes.createNode(this, config);
    setupClient(this, config);
  }

  function setupClient(node, config) {
    node.name = config.name;
    node.defaultEndpoint = text(config.endpoint);
    const proxyNode = config.proxy ? RED.nodes.getNode(config.proxy) : undefined;
    const proxy = proxySettings(proxyNode);

    let registryMade;
    const running = new Set();
    let closed = false;
    let redactor;

    function redactorFor(core) {
      if (!redactor) {
        redactor = new core.Redactor();
        redactor.add(text((node.credentials || {}).clientSecret));
        const proxyCreds = (proxyNode && proxyNode.credentials) || {};
        if (proxyCreds.password) {
          redactor.add(proxyCreds.password);
          redactor.add(encodeURIComponent(proxyCreds.password));
        }
      }
      return redactor;
    }

    /** Hides the client secret and every token the registries received from text a node shows. */
    node.redact = (core, message) => redactorFor(core).redact(message);

    /** The configured default transport; one the core does not know falls back to auto. */
    function defaultTransport(core) {
      try {
        return text(config.transport) ? core.parseTransport(config.transport) : 'auto';
      } catch {
        return 'auto';
      }
    }

    /**
     * Trusted signers: armored OpenPGP public keys pasted into the node, or key files named
     * one per line. A plain property, not a credential: public keys are not secret, and a
     * flow export that carries them carries the trust decision along with the flow.
     */
    function keyring(core) {
      const value = text(config.keyring);
      return value ? core.readKeyringSetting(value, 'The keyring of the sregistry Globus client') : [];
    }

    function createRegistry(core) {
      const creds = node.credentials || {};
      const keys = keyring(core);
      const options = core.registryOptionsWith(process.env, {
        root: text(config.root),
        storage: text(config.storage),
        database: text(config.database),
        localEndpoint: text(config.localEndpoint),
        globus: {
          clientId: text(creds.clientId),
          clientSecret: text(creds.clientSecret),
          authUrl: text(config.authUrl),
          transferUrl: text(config.transferUrl),
        },
        transport: defaultTransport(core),
        timeoutMs: Math.round(timeoutMinutes(config.timeout) * 60_000),
        ...(proxy ? { proxy } : {}),
        ...(keys.length > 0 ? { keyring: keys } : {}),
        ...(text(config.verify)
          ? { verify: core.parseVerifyPolicy(config.verify, 'The verify setting of the sregistry Globus client') }
          : {}),
        onToken: (token) => redactorFor(core).add(token),
      });
      if (!options.globus.clientId || !options.globus.clientSecret) {
        const which = node.name ? `"${node.name}" (${node.id})` : node.id;
        throw new Error(
          `The Globus client ${which} has no client id or secret: set them in that client's configuration, or write \${GLOBUS_CLIENT_ID} and \${GLOBUS_CLIENT_SECRET} there and set those variables in Node-RED's environment`,
        );
      }
      // The secret may come from the environment (GLOBUS_CLIENT_SECRET, _FILE) rather than the node.
      redactorFor(core).add(options.globus.clientSecret);
      return new core.Registry(options);
    }

    /** The client's Registry (token cache, endpoint cache, records database), created on first use. */
    node.registry = function registry() {
      if (closed) return Promise.reject(new Error('The sregistry Globus client is closed'));
      return loadCore().then((core) => {
        if (!registryMade) {
          const made = Promise.resolve().then(() => createRegistry(core));
          made.catch(() => {
            if (registryMade === made) registryMade = undefined;
          });
          registryMade = made;
        }
        return registryMade;
      });
    };

    /**
     * Runs one operation, `work(registry)`; the config node waits for it before closing
     * the Registry. Progress and the transport reach the operation through the call's own options.
     */
    node.run = function run(work) {
      const job = node.registry().then((registry) => work(registry));
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
        .then(() => Promise.allSettled(registryMade ? [registryMade.then((r) => r.close())] : []))
        .then(() => {
          registryMade = undefined;
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
