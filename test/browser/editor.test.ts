/**
 * The editor in a real browser: Node-RED started with this package in its userDir, headless
 * Chromium driven by playwright-core. Palette, edit dialog, help, an example flow set up
 * through the dialogs against a sandbox, deployed, triggered, and its result in the debug sidebar.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { seedImage } from '../nodered/seed.js';
import { REPO, startNodeRed, type NodeRedProcess } from '../nodered/runtime.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The README's picture is refreshed on request only, so ordinary runs leave the work tree alone.
const SCREENSHOT = process.env.SREGISTRY_UPDATE_SCREENSHOT === '1' ? join(REPO, 'docs', 'images', 'node-red-editor.png') : join(tmpdir(), 'sregistry-node-red-editor.png');
const OURS = ['sregistry-pull', 'sregistry-record', 'sregistry-search', 'sregistry-push', 'sregistry-delete', 'sregistry-watch'];

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
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
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
    for (const type of OURS) await expect(palette.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).count()).resolves.toBe(1);
    const labels = await palette.locator('.red-ui-palette-label').allInnerTexts();
    expect(labels.map((l) => l.trim()).sort()).toEqual(['delete image', 'pull image', 'push image', 'record image', 'search', 'watch images']);
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
    await page.locator('.red-ui-notification').filter({ hasText: /deployed/i }).first().waitFor({ timeout: 30000 });
    await page.keyboard.press('Control+g');
    await page.keyboard.press('d');
    await page.locator(`[id="${byType('inject')}"] .red-ui-flow-node-button`).click();
    // The message from the pull node's debug node; expanded, it lists the image's fields.
    const message = page.locator('.red-ui-debug-msg').filter({ hasText: 'analysis' }).first();
    await message.waitFor({ timeout: 60000 });
    await message.locator('.red-ui-debug-msg-expandable').first().click();
    const status = message.locator('.red-ui-debug-msg-object-entry').filter({ has: page.locator('.red-ui-debug-msg-object-key', { hasText: /^status$/ }) });
    await status.first().waitFor();
    await expect(status.first().innerText()).resolves.toMatch(/status:\s*"pulled"/);
    await page.locator(`[id="${byType('sregistry-pull')}"] .red-ui-flow-node-status-label`).filter({ hasText: 'pulled lab/analysis:latest' }).waitFor({ timeout: 10000 });
    // For the README: the palette filtered to this package, the flow with its statuses, no toasts.
    await page.locator('.red-ui-notification').first().waitFor({ state: 'detached', timeout: 20000 }).catch(() => undefined);
    await page.locator('#red-ui-palette-search input').first().pressSequentially('sregistry');
    await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: 'hidden' });
    await page.screenshot({ path: SCREENSHOT });
  });
});
