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

  function label(verb, shows, text) {
    return function () {
      return this.name || (this[shows] ? verb + ' ' + this[shows] : text);
    };
  }

  function labelStyle() {
    return this.name ? 'node_label_italic' : '';
  }

  window.sregistryEditor = { pattern, positive, checked, defaults, label, labelStyle };
})();
