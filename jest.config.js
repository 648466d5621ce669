/** Jest in ESM mode through ts-jest; tests talk to real servers, so they run in band-friendly workers. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/browser/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
  setupFilesAfterEnv: ['<rootDir>/test/reliability/setup.ts'],
  reporters: [
    'default',
    '<rootDir>/scripts/jest-reliability-reporter.cjs',
    '<rootDir>/scripts/jest-count-reporter.cjs',
  ],
};
