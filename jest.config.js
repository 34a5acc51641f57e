/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // Child processes and real servers on a busy 2-core machine: a wide budget that only a hang reaches.
  testTimeout: 60_000,
  transform: { '^.+\\.c?ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Sources import './x.js' (as Node's ESM needs), or './x.cjs' for a .cts file; jest resolves the TypeScript file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.c?js$': '$1' },
};
