/**
 * The editor in a real browser: Node-RED started with this package in its userDir, headless
 * Chromium driven by playwright-core. Palette, edit dialog, help, an example flow set up
 * through the dialogs against a sandbox, deployed, triggered, and its result in the debug sidebar.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { seedImage } from '../nodered/seed.js';
import { REPO, startNodeRed, type NodeRedProcess } from '../nodered/runtime.js';
import { newJob, runAction, sandboxInputs } from '../action/runner.js';
import { writeSif } from '../../src/core/sif.js';
import { TRANSPORT_HELP } from '../../src/core/registry/transports/transport.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The README's picture is refreshed on request only, so ordinary runs leave the work tree alone.
const SCREENSHOT =
  process.env.SREGISTRY_UPDATE_SCREENSHOT === '1'
    ? join(REPO, 'docs', 'images', 'node-red-editor.png')
    : join(tmpdir(), 'sregistry-node-red-editor.png');
const OURS = [
  'sregistry-pull',
  'sregistry-record',
  'sregistry-search',
  'sregistry-push',
  'sregistry-delete',
  'sregistry-watch',
];

type Node = Record<string, unknown>;

describe('the sregistry nodes in the Node-RED editor', () => {
  let sb: TestSandbox;
  let red: NodeRedProcess;
  let browser: Browser;
  let page: Page;
  let example: Node[];

  beforeAll(async () => {
    sb = await startTestSandbox();
    await seedImage(sb, 'lab/analysis:latest');
    red = await startNodeRed({ credentialSecret: randomBytes(12).toString('hex') });
    // The example as a user imports it: the flow tab and its nodes, the client still unset.
    example = JSON.parse(await readFile(join(REPO, 'examples', '01 - Scheduled pull.json'), 'utf8')) as Node[];
    const tab = { id: example[0]!.z, type: 'tab', label: 'Scheduled pull' };
    const deployed = await fetch(`${red.url}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify([tab, ...example]),
    });
    if (deployed.status !== 204) throw new Error(`deploy answered ${deployed.status}: ${await deployed.text()}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(red.url);
    await page.locator('#red-ui-palette-container-sregistry').waitFor({ state: 'attached', timeout: 60000 });
  });

  afterAll(async () => {
    await browser?.close();
    await red?.stop();
    await sb?.stop();
  });

  const byType = (type: string): string => example.find((n) => n.type === type)!.id as string;

  it('shows the sregistry category with its six nodes and their labels', async () => {
    const palette = page.locator('#red-ui-palette-container-sregistry');
    for (const type of OURS)
      await expect(palette.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).count()).resolves.toBe(1);
    const labels = await palette.locator('.red-ui-palette-label').allInnerTexts();
    expect(labels.map((l) => l.trim()).sort()).toEqual([
      'delete image',
      'pull image',
      'push image',
      'record image',
      'search',
      'watch images',
    ]);
  });

  it('loads the shared editor script and checks settings with its validators', async () => {
    const served = await fetch(`${red.url}/resources/@sregistry/globus/sregistry-editor.js`);
    expect(served.status).toBe(200);
    await expect(page.evaluate('typeof window.sregistryEditor')).resolves.toBe('object');
    // The unnamed pull node's label comes from the shared definition: "pull <image>".
    const label = await page.locator(`[id="${byType('sregistry-pull')}"] .red-ui-flow-node-label`).textContent();
    expect(label?.trim()).toBe('pull lab/analysis:latest');
    await page.locator(`[id="${byType('sregistry-pull')}"] .red-ui-flow-node`).dblclick();
    const image = page.locator('#node-input-image');
    const queue = page.locator('#node-input-queueLimit');
    // Typed key by key, as a user does: the editor validates on each keyup.
    const type = async (field: typeof image, text: string) => {
      await field.fill('');
      await field.pressSequentially(text);
    };
    const flagged = async (field: typeof image) => /\binput-error\b/.test((await field.getAttribute('class')) ?? '');
    await image.waitFor();
    try {
      await expect(flagged(image)).resolves.toBe(false);
      await type(image, 'not a reference!');
      await type(queue, '0');
      await expect(flagged(image)).resolves.toBe(true);
      await expect(flagged(queue)).resolves.toBe(true);
      await type(image, 'lab/other:v2');
      await type(queue, '5');
      await expect(flagged(image)).resolves.toBe(false);
      await expect(flagged(queue)).resolves.toBe(false);
    } finally {
      // Cancelled, so the node keeps its settings for the tests that follow.
      await page.locator('#node-dialog-cancel').click();
      await image.waitFor({ state: 'detached' });
    }
  });

  it('opens the pull node, its help, and sets up its Globus client against the sandbox', async () => {
    const pull = page.locator(`[id="${byType('sregistry-pull')}"] .red-ui-flow-node`);
    await pull.click();
    // The help sidebar shows the node's own help.
    await page.keyboard.press('Control+g');
    await page.keyboard.press('h');
    await page.locator('#red-ui-sidebar').getByText('Downloads a SIF image').first().waitFor();
    await expect(page.locator('#red-ui-sidebar').innerText()).resolves.toContain('msg.uri'.replace('msg.', ''));
    // The client's help lists the registered transports, written in from the core's list.
    const clientHelp = String(
      await page.evaluate(`document.querySelector('script[data-help-name="sregistry-globus-client"]').textContent`),
    );
    expect(clientHelp).not.toContain('data-help=');
    for (const { name, help } of TRANSPORT_HELP) expect(clientHelp).toContain(`<code>${name}</code>: ${help}`);

    await pull.dblclick();
    await page.locator('#node-input-image').waitFor();
    await expect(page.locator('#node-input-image').inputValue()).resolves.toBe('lab/analysis:latest');
    await page.locator('#node-input-btn-client-edit').click();
    await page.locator('#node-config-input-authUrl').waitFor();
    await page.fill('#node-config-input-clientId', sb.client.id);
    await page.fill('#node-config-input-clientSecret', sb.client.secret);
    await page.fill('#node-config-input-authUrl', `${sb.url}/`);
    await page.fill('#node-config-input-transferUrl', `${sb.url}/`);
    await page.fill('#node-config-input-storage', join(sb.tmp, 'storage'));
    await page.fill('#node-config-input-database', join(sb.tmp, 'records.db'));
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-image').waitFor({ state: 'detached' });
  });

  it('deploys, runs on the inject button, and shows the pulled image in the debug sidebar', async () => {
    await page.locator('#red-ui-header-button-deploy').click();
    await page
      .locator('.red-ui-notification')
      .filter({ hasText: /deployed/i })
      .first()
      .waitFor({ timeout: 30000 });
    await page.keyboard.press('Control+g');
    await page.keyboard.press('d');
    await page.locator(`[id="${byType('inject')}"] .red-ui-flow-node-button`).click();
    // The message from the pull node's debug node; expanded, it lists the image's fields.
    const message = page.locator('.red-ui-debug-msg').filter({ hasText: 'analysis' }).first();
    await message.waitFor({ timeout: 60000 });
    await message.locator('.red-ui-debug-msg-expandable').first().click();
    const status = message
      .locator('.red-ui-debug-msg-object-entry')
      .filter({ has: page.locator('.red-ui-debug-msg-object-key', { hasText: /^status$/ }) });
    await status.first().waitFor();
    await expect(status.first().innerText()).resolves.toMatch(/status:\s*"pulled"/);
    await page
      .locator(`[id="${byType('sregistry-pull')}"] .red-ui-flow-node-status-label`)
      .filter({ hasText: 'pulled lab/analysis:latest' })
      .waitFor({ timeout: 10000 });
    // For the README: the palette filtered to this package, the flow with its statuses, no toasts.
    await page
      .locator('.red-ui-notification')
      .first()
      .waitFor({ state: 'detached', timeout: 20000 })
      .catch(() => undefined);
    await page.locator('#red-ui-palette-search input').first().pressSequentially('sregistry');
    await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: 'hidden' });
    await page.screenshot({ path: SCREENSHOT });
  });
});

/**
 * Each example as a user imports it: the one shared client carries `${GLOBUS_CLIENT_ID}`
 * and `${GLOBUS_CLIENT_SECRET}` (Node-RED reads them from its environment), so importing
 * several adds one client. Without credentials every node of the example shows the
 * editor's invalid marker and deploy warns; with them none does. Each example's nodes
 * carry every setting (nothing opens blank), do not overlap, and keep labels short.
 */
// The page's globals, for the functions page.evaluate runs there (this project compiles without the DOM library).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type InPage = any;
declare const window: InPage, document: InPage;

describe('the examples in the Node-RED editor', () => {
  const CLIENT = '5e9c0a1ec11e0001';
  let sb: TestSandbox;
  let red: NodeRedProcess;
  let browser: Browser;
  let page: Page;
  let files: string[];

  beforeAll(async () => {
    sb = await startTestSandbox((world) => {
      world.endpoints[1]!.displayName = 'sandbox-collection';
    });
    await seedImage(sb, 'lab/analysis:latest');
    red = await startNodeRed({
      credentialSecret: randomBytes(12).toString('hex'),
      env: { GLOBUS_CLIENT_ID: sb.client.id, GLOBUS_CLIENT_SECRET: sb.client.secret },
    });
    files = (await readdir(join(REPO, 'examples'))).filter((f) => f.endsWith('.json')).sort();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await red?.stop();
    await sb?.stop();
  });

  const example = async (file: string): Promise<Node[]> =>
    JSON.parse(await readFile(join(REPO, 'examples', file), 'utf8')) as Node[];

  /** A fresh editor (nothing was deployed, so a reload is empty), then the nodes imported as Import → Examples does. */
  async function freshImport(nodes: Node[]): Promise<void> {
    await page.goto(red.url);
    await page.locator('#red-ui-palette-container-sregistry').waitFor({ state: 'attached', timeout: 60000 });
    // Into a new flow, where the nodes keep their positions (not following the pointer to be placed).
    await page.evaluate(
      ({ json, first }) => {
        window.RED.view.importNodes(json, { addFlow: true });
        window.RED.workspaces.show(window.RED.nodes.node(first).z);
      },
      { json: JSON.stringify(nodes), first: nodes.find((n) => n.type !== 'sregistry-globus-client')!.id as string },
    );
    // The imported nodes follow the pointer until a click places them, as for a user. On a
    // loaded machine a click can come before the editor has picked them up: click again.
    const deploy = page.locator('#red-ui-header-button-deploy:not(.disabled)');
    for (let attempt = 1; ; attempt++) {
      await page.mouse.move(640, 300);
      await page.mouse.click(640, 300);
      const placed = await deploy.waitFor({ timeout: 10_000 }).then(
        () => true,
        () => false,
      );
      if (placed) break;
      if (attempt === 5)
        throw new Error('the imported nodes were never placed: the Deploy button stayed disabled after 5 clicks');
    }
  }

  /** What the editor holds for the nodes of the active tab and the shared client. */
  const state = () =>
    page.evaluate(() => {
      const RED = window.RED;
      const z = RED.workspaces.active();
      const nodes: InPage[] = RED.nodes.filterNodes({ z });
      const clients: { id: string; valid: boolean }[] = [];
      RED.nodes.eachConfig((c: InPage) => {
        if (c.type === 'sregistry-globus-client') clients.push({ id: c.id, valid: c.valid });
      });
      return {
        clients,
        nodes: nodes.map((n) => {
          const el = document.getElementById(n.id);
          const box = el?.getBoundingClientRect();
          const missing = Object.keys(n._def.defaults ?? {}).filter((k) => n[k] === undefined);
          const label = typeof n._def.label === 'function' ? n._def.label.call(n) : String(n._def.label ?? n.type);
          const badge = el?.querySelector('.red-ui-flow-node-error');
          const shown =
            !!badge &&
            window.getComputedStyle(badge).display !== 'none' &&
            window.getComputedStyle(badge).visibility !== 'hidden' &&
            badge.getBoundingClientRect().width > 0;
          return {
            id: n.id,
            type: n.type,
            valid: n.valid !== false,
            marker: shown,
            missing,
            label,
            box: box ? { x: box.x, y: box.y, w: box.width, h: box.height } : null,
          };
        }),
      };
    });

  async function setCredentials(nodeId: string, id: string, secret: string): Promise<void> {
    // The node's edit dialog, opened as a double click does (right after an import one may only select it).
    await page.evaluate((id) => window.RED.editor.edit(window.RED.nodes.node(id)), nodeId);
    await page.locator('#node-input-btn-client-edit').click();
    await page.locator('#node-config-input-clientId').waitFor();
    await page.fill('#node-config-input-clientId', id);
    await page.fill('#node-config-input-clientSecret', secret);
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-client').waitFor({ state: 'detached' });
  }

  it('every example: an invalid marker on each node until the client has credentials, none after; settings complete, no overlap, short labels', async () => {
    for (const file of files) {
      const nodes = await example(file);
      const ours = nodes
        .filter((n) => String(n.type).startsWith('sregistry-') && n.type !== 'sregistry-globus-client')
        .map((n) => n.id as string);
      expect(nodes.filter((n) => n.type === 'sregistry-globus-client').map((n) => n.id)).toEqual([CLIENT]);
      // As a client without credentials: the shipped one with them taken out.
      await freshImport(
        nodes.map((n) => (n.type === 'sregistry-globus-client' ? { ...n, credentials: undefined } : n)),
      );
      let now = await state();
      expect({ file, clients: now.clients }).toEqual({ file, clients: [{ id: CLIENT, valid: false }] });
      expect({
        file,
        invalid: now.nodes
          .filter((n) => !n.valid || n.marker)
          .map((n) => n.id)
          .sort(),
      }).toEqual({ file, invalid: [...ours].sort() });
      // Deploy warns about them instead of saying "Successfully deployed".
      await page.locator('#red-ui-header-button-deploy').click();
      const warning = page.locator('.red-ui-notification').filter({ hasText: 'not properly configured' });
      await warning.waitFor({ timeout: 10000 }).catch(async (err: unknown) => {
        await page.screenshot({ path: '/tmp/i24/deploy.png' });
        throw new Error(
          `${String(err)}\nnotifications: ${JSON.stringify(await page.locator('.red-ui-notification').allInnerTexts())}`,
        );
      });
      await warning.getByRole('button', { name: /cancel/i }).click();
      await warning.waitFor({ state: 'detached' });

      await setCredentials(ours[0]!, '${GLOBUS_CLIENT_ID}', '${GLOBUS_CLIENT_SECRET}');
      now = await state();
      expect({ file, clients: now.clients }).toEqual({ file, clients: [{ id: CLIENT, valid: true }] });
      expect({ file, invalid: now.nodes.filter((n) => !n.valid || n.marker).map((n) => `${n.type} ${n.id}`) }).toEqual({
        file,
        invalid: [],
      });
      // Our nodes carry every setting, so none opens with a blank one (as 04's Mode once did).
      expect({
        file,
        missing: now.nodes
          .filter((n) => ours.includes(n.id) && n.missing.length > 0)
          .map((n) => `${n.type}: ${n.missing.join(', ')}`),
      }).toEqual({ file, missing: [] });
      for (const n of now.nodes.filter((x) => ours.includes(x.id))) expect([...n.label].length).toBeLessThanOrEqual(24);
      const boxes = now.nodes
        .filter((n) => n.box && n.type !== 'tab')
        .map((n) => ({ id: `${n.type} ${n.id}`, ...n.box! }));
      const overlaps: string[] = [];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
            overlaps.push(`${a.id} / ${b.id}`);
        }
      }
      expect({ file, overlaps }).toEqual({ file, overlaps: [] });
    }
  }, 300_000);

  it('importing every example adds one client; deployed, its ${GLOBUS_CLIENT_ID} credentials come from the environment and example 01 pulls', async () => {
    await page.goto(red.url);
    await page.locator('#red-ui-palette-container-sregistry').waitFor({ state: 'attached', timeout: 60000 });
    // As the Import dialog does: an id already there is a conflict, and its "Import copy" imports
    // with new ids, matching config nodes that are the same as one there.
    for (const file of files) {
      await page.evaluate(
        (json) => {
          try {
            window.RED.view.importNodes(json, { addFlow: true, generateIds: false });
          } catch (err) {
            if ((err as { code?: string }).code !== 'import_conflict') throw err;
            window.RED.view.importNodes(json, { addFlow: true, generateIds: true });
          }
        },
        JSON.stringify(await example(file)),
      );
    }
    const clients = await page.evaluate(() => {
      const ids: string[] = [];
      window.RED.nodes.eachConfig((c: InPage) => {
        if (c.type === 'sregistry-globus-client') ids.push(c.id);
      });
      return ids;
    });
    expect(clients).toEqual([CLIENT]);
    // The client's sandbox URLs, storage and database, set in its dialog as a user would.
    const pullId = (await example(files[0]!)).find((n) => n.type === 'sregistry-pull')!.id as string;
    await page.evaluate((id) => window.RED.workspaces.show(window.RED.nodes.node(id).z), pullId);
    await page.locator(`[id="${pullId}"] .red-ui-flow-node`).dblclick();
    await page.locator('#node-input-btn-client-edit').click();
    await page.locator('#node-config-input-authUrl').waitFor();
    await page.fill('#node-config-input-authUrl', `${sb.url}/`);
    await page.fill('#node-config-input-transferUrl', `${sb.url}/`);
    await page.fill('#node-config-input-storage', join(sb.tmp, 'examples-storage'));
    await page.fill('#node-config-input-database', join(sb.tmp, 'examples.db'));
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-client').waitFor({ state: 'detached' });
    await page.locator('#red-ui-header-button-deploy').click();
    await page
      .locator('.red-ui-notification')
      .filter({ hasText: /Successfully deployed/i })
      .first()
      .waitFor({ timeout: 30000 });
    await page.keyboard.press('Control+g');
    await page.keyboard.press('d');
    const injectId = (await example(files[0]!)).find((n) => n.type === 'inject')!.id as string;
    // What the Inject button does (the left sidebar may cover the button on this tab).
    expect((await fetch(`${red.url}/inject/${injectId}`, { method: 'POST' })).status).toBe(200);
    await page
      .locator(`[id="${pullId}"] .red-ui-flow-node-status-label`)
      .filter({ hasText: 'pulled lab/analysis:latest' })
      .waitFor({ timeout: 60000 });
  }, 120_000);
});

/**
 * The job summary as GitHub shows it: the bundled Action run as the runner runs it
 * against a sandbox (two images, two tags, one already there), its GITHUB_STEP_SUMMARY
 * put in a page with GitHub's summary look, and that page photographed for docs/action.md
 * (`SREGISTRY_UPDATE_SCREENSHOT=1` writes docs/images/action-summary.png).
 */
describe('the Action job summary, rendered', () => {
  const PICTURE =
    process.env.SREGISTRY_UPDATE_SCREENSHOT === '1'
      ? join(REPO, 'docs', 'images', 'action-summary.png')
      : join(tmpdir(), 'sregistry-action-summary.png');
  let sb: TestSandbox;
  let browser: Browser;

  beforeAll(async () => {
    sb = await startTestSandbox();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await sb?.stop();
  });

  it('shows one row per image and tag, with the status, version, size and link', async () => {
    const job = await newJob(sb.tmp);
    for (const [name, text] of [
      ['analysis', 'analysis image'],
      ['tools', 'tools image'],
    ] as const) {
      await mkdir(join(job.workspace, 'build'), { recursive: true });
      await writeSif(join(job.workspace, 'build', `${name}.sif`), {
        payloadBytes: Buffer.from(text.repeat(4000)),
        labels: { 'org.label-schema.name': name },
      });
    }
    // tools is there already: its row says "exists".
    const first = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'build/tools.sif', name: 'lab/', tags: 'latest\nv1.4.0' }),
    });
    expect(first.code).toBe(0);
    const run = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'build/*.sif', name: 'lab/', tags: 'latest\nv1.4.0' }),
    });
    expect(run.code).toBe(0);
    const rows = run.summary.split('<tr>').slice(2);
    expect(rows).toHaveLength(4);
    const page = await browser.newPage({ viewport: { width: 1000, height: 400 }, deviceScaleFactor: 1 });
    // GitHub's summary look: its font stack, table borders and padding (a stand-in for the runner's page, not a copy of it).
    const css =
      'body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328;margin:0;padding:16px;background:#f6f8fa}' +
      '.box{background:#fff;border:1px solid #d1d9e0;border-radius:6px;padding:16px 24px}.head{font-weight:600;margin-bottom:12px;color:#59636e}' +
      'table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #d1d9e0;padding:6px 13px;text-align:left}th{font-weight:600}tr:nth-child(2n){background:#f6f8fa}' +
      'a{color:#0969da;text-decoration:none}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:85%;background:#eff1f3;padding:.2em .4em;border-radius:6px}h1,h2,h3{margin:.2em 0 .5em}';
    await page.setContent(
      `<!doctype html><html><head><meta charset="utf-8"><style>${css}</style></head><body><div class="box"><div class="head">images summary</div>${run.summary}</div></body></html>`,
    );
    const box = page.locator('.box');
    await expect(box.locator('tr').count()).resolves.toBe(5);
    await expect(box.innerText()).resolves.toMatch(/exists/);
    await box.screenshot({ path: PICTURE });
    await page.close();
  });
});
