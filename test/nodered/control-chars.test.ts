/**
 * A msg.uri carrying line breaks or terminal escape sequences, through the real Node-RED
 * runtime: the Catch node's error message and the node's status are one line, escaped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import {
  catchNode,
  clientConfig,
  clientCredentials,
  CLIENT_ID,
  helper,
  nextMessage,
  recordStatuses,
  sregistryNodes,
} from './support.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

describe('sregistry nodes: control characters in messages', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(() => sb.stop());
  afterEach(() => helper.unload());

  it.each(['sregistry-pull', 'sregistry-record', 'sregistry-delete'])(
    '%s: errors and status stay one escaped line',
    async (type) => {
      await helper.load(
        [...sregistryNodes, catchNode],
        [
          clientConfig(sb),
          { id: 'op', type, client: CLIENT_ID, image: 'library/busybox:latest', wires: [['out']] },
          { id: 'out', type: 'helper' },
          { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ],
        clientCredentials(sb),
      );
      const statuses = recordStatuses(helper.getNode('op'));
      // The reference parser quotes what it refuses with JSON escapes; msg.transport is echoed as given.
      for (const [msg, code, shown] of [
        [{ uri: `globus://${sb.collection.id}/fm/pw\nned:v1` }, 'INVALID_REFERENCE', /pw\\nned/],
        [
          { uri: `globus://${sb.collection.id}/fm/\u001b]0;owned\u0007x:v1` },
          'INVALID_REFERENCE',
          /\\(x1b|u001b)\]0;owned\\(x07|u0007)x/,
        ],
        [{ uri: `globus://${sb.collection.id}/fm/a\u202eb\r:v1` }, 'INVALID_REFERENCE', /a\\u(\{202e\}|202e)b\\r/],
        [{ transport: 'https\u001b]0;owned\u0007\r\nx' }, undefined, /"https\\x1b\]0;owned\\x07\\r\\nx"/],
      ] as const) {
        const caught = nextMessage(helper.getNode('caught'));
        helper.getNode('op').receive({ ...msg });
        const error = (await caught).error as { message: string; code?: string };
        expect(error.code).toBe(code);
        expect(error.message).toMatch(shown);
        expect(RAW_CONTROL.test(error.message)).toBe(false);
        const last = statuses.at(-1);
        expect(last).toMatchObject({ fill: 'red', shape: 'ring' });
        expect(RAW_CONTROL.test(last?.text ?? '')).toBe(false);
      }
    },
  );
});
