/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // The fault suite (child processes killed with -9, minutes long) runs with npm run test:faults.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/__tests__/faults/'],
  // Child processes and real servers on a busy 2-core machine: a wide budget that only a hang reaches.
  testTimeout: 60_000,
  transform: { '^.+\\.c?ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Sources import './x.js' (as Node's ESM needs), or './x.cjs' for a .cts file; jest resolves the TypeScript file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.c?js$': '$1' },
};
