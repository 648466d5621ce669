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
   * The definition of an operation node (pull, record, search, push, delete): palette entry,
   * label and the settings they all have (name, client, transport, queue), with the node's
   * own settings in between.
   *   spec.paletteLabel  palette label, and the label of an unnamed node with nothing to show
   *   spec.verb, spec.shows  an unnamed node reads "<verb> <value of setting shows>"
   *   spec.defaults      the node's own settings
   * Any other property of spec (align, outputLabels, ...) is passed through.
   */
  function definition(type, spec) {
    const { verb, shows, defaults, ...rest } = spec;
    return Object.assign(
      {
        category: 'sregistry',
        color: '#A6BBCF',
        icon: type + '.svg',
        inputs: 1,
        outputs: 1,
        defaults: Object.assign(
          { name: { value: '' }, client: { value: '', type: 'sregistry-globus-client' } },
          defaults,
          { transport: { value: '' }, queueLimit: { value: 100, validate: positive } },
        ),
        label: function () {
          return this.name || (this[shows] ? verb + ' ' + this[shows] : spec.paletteLabel);
        },
        labelStyle: function () {
          return this.name ? 'node_label_italic' : '';
        },
      },
      rest,
    );
  }

  window.sregistryEditor = { pattern, positive, checked, definition };
})();
