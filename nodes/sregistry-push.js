/**
 * sregistry push: uploads a local image file to the registry. The file comes from
 * msg.filename (as Node-RED's file nodes set it), else the node's File; msg.payload is
 * taken for the path only when the node is set to, so the text of an unrelated node is
 * never pushed as a file name.
 */
'use strict';
const { realpath } = require('node:fs/promises');
const { isAbsolute, relative, resolve, sep } = require('node:path');
const { setupOperationNode, msgString, imageUri } = require('./shared/operation-node.js');

/**
 * The node's Folder setting: a file from msg.filename or msg.payload must lie inside it,
 * judged on real paths (symlinks resolved), so a message cannot push /etc/shadow.
 */
async function checkInFolder(node, folder, file) {
  const real = async (p, what) => {
    try {
      return await realpath(p);
    } catch (err) {
      throw new Error(`${node.type}: cannot find ${what} ${p} (${err.code || err.message})`);
    }
  };
  const base = await real(resolve(folder), 'the Folder');
  const target = await real(resolve(base, file), 'the file');
  const rel = relative(base, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new Error(
      `${node.type}: ${file} is outside the node's Folder ${folder}: only files inside it may be pushed; move the file there or change the Folder`,
    );
  }
  return target;
}

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
      run: async ({ node, registry, core, msg, call }) => {
        const fromPayload =
          config.payloadIsPath === true && typeof msg.payload === 'string' ? msgString(msg, 'payload') : undefined;
        const fromMsg = fromPayload || msgString(msg, 'filename');
        let file = fromMsg || (config.file || '').trim();
        if (!file) {
          throw new Error(
            `${node.type}: no file to push: set msg.filename to its path (a Write File node does), or set a File in the node`,
          );
        }
        const folder = (config.folder || '').trim();
        if (fromMsg && folder) file = await checkInFolder(node, folder, fromMsg);
        const uri = imageUri(
          core,
          node,
          msgString(msg, 'uri') || config.image,
          msgString(msg, 'endpoint') || config.endpoint,
        );
        const tags = tagList(core, msg.tags !== undefined ? msg.tags : config.tags);
        const source = sourceInfo(msg.source);
        const anyFile = config.anyFile === true;
        return registry.push(file, uri, {
          ...call,
          ...(tags.length ? { tags } : {}),
          ...(source ? { source } : {}),
          ...(anyFile ? { anyFile } : {}),
        });
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
