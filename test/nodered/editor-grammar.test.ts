/**
 * The editor's checks against the runtime's: the shared editor script and the grammar
 * `npm run build` generates from src/core/uri.ts, loaded as the editor loads them (in a
 * browser-like context of their own), must accept and refuse what the nodes' runtime and
 * the core do, over a generated corpus of near-valid and broken text. And the form rows the
 * templates share are written in, one for each setting a node has.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script, createContext } from 'node:vm';
import {
  formatGlobusUri,
  isGlobusUri,
  parseImageUri,
  parseReference,
  parseTags,
  parseWatchTarget,
} from '../../src/core/uri.js';
import { TRANSPORT_HELP, TRANSPORTS } from '../../src/core/registry/transports/transport.js';
import { endpointArb, nameArb, tagArb, versionArb } from '../core/uri-arbitraries.js';
import { REPO } from './runtime.js';

const require = createRequire(import.meta.url);
const { imageUri } = require(join(REPO, 'nodes', 'shared', 'operation-node.js')) as {
  imageUri: (core: unknown, node: { type: string }, image: string, endpoint: string) => string;
};
const core = { isGlobusUri, formatGlobusUri, parseReference };

type Validate = (v: unknown, opt?: unknown) => boolean | string;
interface Editor {
  checked(name: string): { value: string; validate: Validate };
  rows(type: string): void;
}

/** A context with what the editor scripts use of the browser and of Node-RED's RED, and the scripts run in it. */
function editorContext(templates: Map<string, { textContent: string }> = new Map()) {
  const window: Record<string, unknown> = {};
  const RED = {
    validators: {
      regex: (re: RegExp) => (v: unknown) => re.test(String(v)),
    },
  };
  // A template is found by its node type, a help text by `help:` and the type.
  const find = (selector: string) => /data-(template|help)-name="([^"]+)"/.exec(selector);
  const document = {
    querySelector: (selector: string) =>
      templates.get(find(selector)?.[1] === 'help' ? `help:${find(selector)![2]}` : (find(selector)?.[2] ?? '')) ??
      null,
  };
  const context = createContext({ window, RED, document });
  for (const file of ['sregistry-grammar.js', 'sregistry-editor.js']) {
    const path = join(REPO, 'resources', file);
    new Script(readFileSync(path, 'utf8'), { filename: path }).runInContext(context);
  }
  return { context, editor: window.sregistryEditor as Editor };
}

const accepts = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

/** Whether a pull, record, push or delete node takes this Image setting (blank: msg.uri gives it). */
const runtimeImage = (text: string): boolean =>
  text === '' || accepts(() => parseImageUri(imageUri(core, { type: 'sregistry-pull' }, text, 'lab endpoint')));

/** Whether the watch node takes this target (nodes/sregistry-watch.js puts the endpoint in front of a path). */
const runtimeWatchTarget = (text: string): boolean => {
  const target = text.trim();
  if (target === '') return false;
  return accepts(() =>
    parseWatchTarget(isGlobusUri(target) ? target : `${formatGlobusUri({ endpoint: 'lab endpoint' })}/${target}`),
  );
};

const NOISE = 'abcZ09._-/:@% \t~sifmg';
const noiseArb = fc.string({ unit: fc.constantFrom(...NOISE.split('')), maxLength: 24 });

/** Text that is, or nearly is, a reference: parts left out, capitals, image suffixes, spaces, long names. */
const referenceTextArb = fc
  .record({
    collection: fc.option(nameArb, { nil: undefined }),
    name: fc.oneof(
      nameArb,
      fc.constantFrom(
        'ubuntu.sif',
        'a.sif.sif',
        'x.simg',
        '.hidden',
        'a'.repeat(128),
        'a'.repeat(129),
        `${'b'.repeat(128)}.sif`,
      ),
    ),
    tag: fc.option(fc.oneof(tagArb, fc.constantFrom('.dot', 'v1.sif', 'Latest', 't'.repeat(129))), { nil: undefined }),
    version: fc.option(
      fc.oneof(
        versionArb,
        versionArb.map((v) => `sha256:${v}`),
        versionArb.map((v) => v.slice(1)),
        versionArb.map((v) => v.toUpperCase()),
      ),
      { nil: undefined },
    ),
    upper: fc.boolean(),
    pad: fc.constantFrom('', ' ', '\t'),
  })
  .map(({ collection, name, tag, version, upper, pad }) => {
    const text = `${collection === undefined ? '' : `${collection}/`}${name}${tag === undefined ? '' : `:${tag}`}${version === undefined ? '' : `@${version}`}`;
    return `${pad}${upper ? text.toUpperCase() : text}${pad}`;
  });

const uriTextArb = fc
  .tuple(
    fc.constantFrom('globus://', 'GLOBUS://', ' globus://'),
    endpointArb,
    fc.boolean(),
    fc.option(referenceTextArb, { nil: undefined }),
  )
  .map(
    ([scheme, endpoint, encode, ref]) =>
      `${scheme}${encode ? encodeURIComponent(endpoint) : endpoint}${ref === undefined ? '' : `/${ref.trim()}`}`,
  );

/** Valid and near-valid text with one character put in, taken out or changed. */
const mutatedArb = fc
  .tuple(fc.oneof(referenceTextArb, uriTextArb), fc.nat(), fc.constantFrom(...NOISE.split(''), ''))
  .map(([text, at, c]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    return text.slice(0, i) + c + text.slice(i + (c === '' ? 1 : 0));
  });

const corpusArb = fc.oneof(referenceTextArb, uriTextArb, mutatedArb, noiseArb, fc.string({ maxLength: 12 }));

describe("the editor's checks and the runtime's grammar", () => {
  const { editor } = editorContext();

  it('accepts and refuses an Image setting as the nodes and the core do', () => {
    const image = editor.checked('image').validate;
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(corpusArb, (text) => {
        const runtime = runtimeImage(text);
        if (runtime) accepted++;
        else refused++;
        expect({ text, editor: image(text) }).toEqual({ text, editor: runtime });
      }),
      { numRuns: 3000 },
    );
    // The corpus reaches both sides of the grammar, so agreeing is not agreeing on one answer.
    expect(accepted).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
  });

  it('accepts and refuses a watch target as the watch node does', () => {
    const target = editor.checked('watchTarget').validate;
    const watchArb = fc.oneof(
      corpusArb,
      fc.tuple(nameArb, fc.option(nameArb, { nil: undefined })).map(([c, n]) => (n === undefined ? c : `${c}/${n}`)),
      uriTextArb.map((u) => u.replace(/:[^/:]*$/, '')),
    );
    fc.assert(
      fc.property(watchArb, (text) => {
        expect({ text, editor: target(text) }).toEqual({ text, editor: runtimeWatchTarget(text) });
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts and refuses a list of tags as parseTags does', () => {
    const tags = editor.checked('tags').validate;
    const listArb = fc.oneof(
      fc
        .array(fc.oneof(tagArb, noiseArb), { maxLength: 4 })
        .chain((list) => fc.constantFrom(', ', ' ', '\n', ',').map((sep) => list.join(sep))),
      noiseArb,
    );
    fc.assert(
      fc.property(listArb, (text) => {
        expect({ text, editor: tags(text) }).toEqual({ text, editor: accepts(() => parseTags(text)) });
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the nodes' form rows", () => {
  const nodes = readdirSync(join(REPO, 'nodes')).filter(
    (f) => f.endsWith('.html') && f !== 'sregistry-globus-client.html',
  );

  it.each(nodes)('%s: its template gets the shared rows, one field for each of its settings', (file) => {
    const html = readFileSync(join(REPO, 'nodes', file), 'utf8');
    const type = file.replace(/\.html$/, '');
    const template = /<script type="text\/html" data-template-name="([^"]+)">([\s\S]*?)<\/script>/.exec(html);
    expect(template?.[1]).toBe(type);
    const templates = new Map([[type, { textContent: template![2]! }]]);
    const { context } = editorContext(templates);
    const registered: Record<string, { defaults: Record<string, unknown> }> = {};
    (context.RED as Record<string, unknown>).nodes = {
      registerType: (name: string, def: { defaults: Record<string, unknown> }) => (registered[name] = def),
    };
    const inline = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    for (const code of inline) new Script(code, { filename: file }).runInContext(context);

    const written = templates.get(type)!.textContent;
    expect(written).not.toMatch(/data-row=/);
    const fields = [...written.matchAll(/id="node-input-(\w+)"/g)].map((m) => m[1]);
    expect(fields.sort()).toEqual(Object.keys(registered[type]!.defaults).sort());
  });

  it('says which row a template names that does not exist', () => {
    const templates = new Map([['sregistry-x', { textContent: '<div data-row="colour"></div>' }]]);
    const { editor } = editorContext(templates);
    expect(() => editor.rows('sregistry-x')).toThrow('sregistry-x: no shared form row "colour"');
  });

  it("offers the core's transports in the operation nodes' select and the client's", () => {
    const templates = new Map([
      ['sregistry-x', { textContent: '<div data-row="transport"></div>|<div data-row="clientTransport"></div>' }],
    ]);
    const { editor } = editorContext(templates);
    editor.rows('sregistry-x');
    const [node, client] = templates.get('sregistry-x')!.textContent.split('|');
    const values = (html: string) => [...html.matchAll(/<option value="([^"]*)">/g)].map((m) => m[1]);
    expect(values(node!)).toEqual(['', ...TRANSPORTS]);
    expect(values(client!)).toEqual([...TRANSPORTS]);
    for (const { name, help } of TRANSPORT_HELP.filter((t) => t.name !== 'auto'))
      expect(client).toContain(`>${name} (${help})</option>`);
  });

  it("lists the core's transports in the client's help, where its help text asks for them", () => {
    const help = { textContent: '<dl><div data-help="transports"></div></dl>' };
    const templates = new Map([
      ['sregistry-x', { textContent: '' }],
      ['help:sregistry-x', help],
    ]);
    editorContext(templates).editor.rows('sregistry-x');
    expect(help.textContent).not.toContain('data-help=');
    expect(help.textContent).toContain(`<span class="property-type">${TRANSPORTS.join(' | ')}</span>`);
    for (const { name, help: words } of TRANSPORT_HELP)
      expect(help.textContent).toContain(`<code>${name}</code>: ${words}`);
  });
});
