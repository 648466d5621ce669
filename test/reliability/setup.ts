/** Runs in every test file: faults injected during a test are written to the ledger when it ends. */
import { afterEach } from '@jest/globals';
import { flushFaults } from './ledger.js';

afterEach(() => flushFaults());
