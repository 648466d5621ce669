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
    // a UUID or a display name
    endpoint: /^$|^(?!\s*$)[^\u0000-\u001f\u007f]{1,256}$/,
    uuid: /^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    url: /^$|^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/,
    root: /^$|^\/[^\u0000-\u001f\u007f]*$/,
  };
  /* eslint-enable no-control-regex */

  /**
   * Settings in the image grammar are checked by the core's own parser, which
   * sregistry-grammar.js (generated from src/core/uri.ts by `npm run build`) brings to the
   * browser; it may load after this file, so it is looked up when a value is checked.
   *   image        blank (the message or another setting gives it), a globus:// URI naming an image, or [collection/]name[:tag][@version]
   *   tags         blank or a list of tags
   *   watchTarget  a globus:// URI of a collection, name or tag, or collection[/name[:tag]] on the node's endpoint
   */
  const grammar = {
    image: (v) => v === '' || window.sregistryGrammar.image(v),
    tags: (v) => v === '' || window.sregistryGrammar.tags(v),
    watchTarget: (v) => window.sregistryGrammar.watchTarget(v),
  };

  /** Blank (the default applies) or a whole number above zero. */
  function positive(v) {
    return v === '' || v === undefined || (/^\d+$/.test(String(v)) && Number(v) > 0);
  }

  /** A text setting, blank by default, checked by the grammar or against one of the patterns above. */
  function checked(name) {
    return {
      value: '',
      validate: function (v, opt) {
        const text = v === undefined || v === null ? '' : String(v);
        return grammar[name] ? grammar[name](text) : RED.validators.regex(pattern[name])(text, opt);
      },
    };
  }

  /**
   * What the operation nodes (pull, record, search, push, delete) share; each node's html
   * keeps category, colour, icon, inputs and outputs inline in its registerType call, where
   * the Node-RED tools read them.
   *   defaults(own, moves)     name and client first, the node's own settings, transport and queue last
   *                            (no transport when `moves` is false: search and delete move no bytes)
   *   label(verb, shows, text) an unnamed node reads "<verb> <value of setting shows>", else text
   */
  function defaults(own, moves) {
    return Object.assign(
      { name: { value: '' }, client: { value: '', type: 'sregistry-globus-client' } },
      own,
      moves === false ? {} : { transport: { value: '' } },
      { queueLimit: { value: 100, validate: positive } },
    );
  }

  /**
   * The form rows the nodes' dialogs share, written once. A node's template names each one
   * where it goes with an empty <div data-row="NAME"></div> (the image row may carry its own
   * data-placeholder); rows(type) puts the rows in before the editor first reads the template.
   */
  const ROWS = {
    client:
      '<label for="node-input-client"><i class="fa fa-globe"></i> Client</label><input type="text" id="node-input-client">',
    image:
      '<label for="node-input-image"><i class="fa fa-cube"></i> Image</label><input type="text" id="node-input-image" placeholder="{placeholder}">',
    endpoint:
      '<label for="node-input-endpoint"><i class="fa fa-server"></i> Endpoint</label><input type="text" id="node-input-endpoint" placeholder="client\'s endpoint">',
    // The choices are the core's registered transports, which sregistry-grammar.js carries.
    transport: () =>
      '<label for="node-input-transport"><i class="fa fa-exchange"></i> Transport</label><select id="node-input-transport">' +
      '<option value="">client\'s setting</option>' +
      transportOptions(false) +
      '</select>',
    clientTransport: () =>
      '<label for="node-config-input-transport"><i class="fa fa-exchange"></i> Transport</label><select id="node-config-input-transport">' +
      transportOptions(true) +
      '</select>',
    verify:
      '<label for="node-input-verify"><i class="fa fa-certificate"></i> Verify</label><select id="node-input-verify">' +
      '<option value="">client\'s setting</option><option value="off">off</option><option value="if-signed">if-signed</option><option value="required">required</option></select>',
    queueLimit:
      '<label for="node-input-queueLimit"><i class="fa fa-list-ol"></i> Queue</label><input type="text" id="node-input-queueLimit" style="width: 80px;"> messages may wait',
    name: '<label for="node-input-name"><i class="fa fa-tag"></i> Name</label><input type="text" id="node-input-name" placeholder="Name">',
  };

  /** An <option> per transport choice (auto first), with its few words when `withHelp` (auto's go without). */
  function transportOptions(withHelp) {
    return window.sregistryGrammar.transports
      .map(function (t) {
        const text = withHelp && t.name !== 'auto' ? t.name + ' (' + t.help + ')' : t.name;
        return '<option value="' + escapeAttribute(t.name) + '">' + escapeAttribute(text) + '</option>';
      })
      .join('');
  }

  function escapeAttribute(text) {
    return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  }

  /** The help pane's entry on the transports, from the core's list (what <div data-help="transports"></div> becomes). */
  function transportHelp() {
    const list = window.sregistryGrammar.transports;
    const names = list.map(function (t) {
      return escapeAttribute(t.name);
    });
    const each = list.map(function (t) {
      return '<code>' + escapeAttribute(t.name) + '</code>: ' + escapeAttribute(t.help);
    });
    return (
      '<dt>Transport <span class="property-type">' + names.join(' | ') + '</span></dt><dd>' + each.join('; ') + '.</dd>'
    );
  }

  /** The template of a node type with its shared rows written in (and its help's generated entries); a row name not in ROWS is a mistake, and says so. */
  function rows(type) {
    const help = document.querySelector('script[data-help-name="' + type + '"]');
    const wanted = '<div data-help="transports"></div>';
    if (help && help.textContent.indexOf(wanted) >= 0)
      help.textContent = help.textContent.replace(wanted, transportHelp());
    const template = document.querySelector('script[data-template-name="' + type + '"]');
    if (!template) throw new Error(type + ': no template to put the shared form rows in');
    template.textContent = template.textContent.replace(
      /<div data-row="([^"]*)"(?: data-placeholder="([^"]*)")?><\/div>/g,
      function (_all, row, placeholder) {
        if (!Object.prototype.hasOwnProperty.call(ROWS, row))
          throw new Error(type + ': no shared form row "' + row + '"');
        const html = typeof ROWS[row] === 'function' ? ROWS[row]() : ROWS[row];
        return '<div class="form-row">' + html.replace('{placeholder}', escapeAttribute(placeholder || '')) + '</div>';
      },
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

  const ENV_HINT =
    "type the client id and secret, or ${GLOBUS_CLIENT_ID} and ${GLOBUS_CLIENT_SECRET} to take them from Node-RED's environment";

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
    return (
      (id === '' && !secret
        ? 'Client ID and Secret are empty: '
        : id === ''
          ? 'Client ID is empty: '
          : 'Secret is empty: ') + ENV_HINT
    );
  }

  function labelStyle() {
    return this.name ? 'node_label_italic' : '';
  }

  window.sregistryEditor = {
    pattern,
    grammar,
    positive,
    checked,
    defaults,
    label,
    labelStyle,
    clientCredentials,
    rows,
    LABEL_CHARS,
  };
})();
