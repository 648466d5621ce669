/*
 * Editor code the sregistry nodes share. Node-RED serves this folder at
 * resources/@sregistry/globus/, and each node's html loads this file with a <script src>; the
 * editor loads such scripts before it runs the inline ones of the module, so the namespace is
 * there when the nodes register.
 */
(function () {
  'use strict';
  if (window.sregistryEditor) return;

  // endpoint and root refuse control characters, which their patterns have to name.
  /* eslint-disable no-control-regex */
  const pattern = {
    // globus://... or [collection/]name[:tag][@version]; blank: the message or another setting gives it
    image: /^$|^globus:\/\/\S+$|^(?:[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*(?::[a-z0-9_-][a-z0-9._-]*)?(?:@(?:sha256:)?[0-9a-f]{64})?$/i,
    // globus://... or collection[/name[:tag]] (no version: a pinned version never changes)
    watchTarget: /^globus:\/\/\S+$|^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*(?::[a-z0-9_-][a-z0-9._-]*)?)?$/i,
    // a UUID or a display name
    endpoint: /^$|^(?!\s*$)[^\u0000-\u001f\u007f]{1,256}$/,
    tags: /^$|^\s*[a-z0-9_-][a-z0-9._-]*(?:\s*,\s*[a-z0-9_-][a-z0-9._-]*)*\s*$/i,
    uuid: /^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    url: /^$|^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/,
    root: /^$|^\/[^\u0000-\u001f\u007f]*$/,
  };
  /* eslint-enable no-control-regex */

  /** Blank (the default applies) or a whole number above zero. */
  function positive(v) {
    return v === '' || v === undefined || (/^\d+$/.test(String(v)) && Number(v) > 0);
  }

  /** A text setting, blank by default, checked against one of the patterns above. */
  function checked(name) {
    return { value: '', validate: RED.validators.regex(pattern[name]) };
  }

  /**
   * What the operation nodes (pull, record, search, push, delete) share; each node's html
   * keeps category, colour, icon, inputs and outputs inline in its registerType call, where
   * the Node-RED tools read them.
   *   defaults(own)            name and client first, the node's own settings, transport and queue last
   *   label(verb, shows, text) an unnamed node reads "<verb> <value of setting shows>", else text
   */
  function defaults(own) {
    return Object.assign(
      { name: { value: '' }, client: { value: '', type: 'sregistry-globus-client' } },
      own,
      { transport: { value: '' }, queueLimit: { value: 100, validate: positive } },
    );
  }

  /** Longest label an unnamed node gets, about the width of the core nodes' labels. */
  const LABEL_CHARS = 24;

  /** A setting as an unnamed node's label shows it: without globus://<endpoint>/, cut with … past LABEL_CHARS. */
  function short(value, room) {
    const text = String(value).replace(/^globus:\/\/[^/]*\/?/i, '');
    return text.length > room ? text.slice(0, room - 1) + '\u2026' : text;
  }

  function label(verb, shows, text) {
    return function () {
      return this.name || (this[shows] ? verb + ' ' + short(this[shows], LABEL_CHARS - verb.length - 1) : text);
    };
  }

  const ENV_HINT = 'type the client id and secret, or ${GLOBUS_CLIENT_ID} and ${GLOBUS_CLIENT_SECRET} to take them from Node-RED\'s environment';

  /**
   * Whether a Globus client config node has both credentials, as a Node-RED 3+ validator
   * (true, or the reason). The editor knows them for a client added or imported in this
   * session (an imported one without them is flagged, and with it every node using it) and
   * for one whose dialog was opened (the secret then shows as has_clientSecret). A deployed
   * client not opened yet is not judged here: the runtime has its credentials or says so.
   */
  function clientCredentials(_value, _opt) {
    const creds = this.credentials;
    if (!creds) return this.changed ? 'Client ID and Secret are empty: ' + ENV_HINT : true;
    const id = String(creds.clientId || '').trim();
    const secret = String(creds.clientSecret || '').trim() !== '' || creds.has_clientSecret === true;
    if (id !== '' && secret) return true;
    return (id === '' && !secret ? 'Client ID and Secret are empty: ' : id === '' ? 'Client ID is empty: ' : 'Secret is empty: ') + ENV_HINT;
  }

  function labelStyle() {
    return this.name ? 'node_label_italic' : '';
  }

  window.sregistryEditor = { pattern, positive, checked, defaults, label, labelStyle, clientCredentials, LABEL_CHARS };
})();
