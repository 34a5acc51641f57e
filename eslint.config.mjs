// ESLint: the bug-finding rules (type-aware for the TypeScript in tsconfig.json), formatting left to Prettier.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const typed = ['lib/**/*.ts', '__tests__/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'bench/tmp/**',
      // Generated from lib/schema/: a test checks it against the schema; a lint finding there is a generator's.
      'lib/generated/**',
      // Consumer projects of the packed tarball, type-checked against dist/ by their own test.
      '__tests__/package/consumer/**',
      // A Next.js app with its own tsconfig and dependencies, built by the runtime suite.
      'examples/nextjs/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Apps run by Bun, Deno and workerd in the runtime suite.
    files: ['__tests__/runtimes/apps/**'],
    languageOptions: { globals: { ...globals.node, Bun: 'readonly', Deno: 'readonly' } },
  },
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: typed })),
  {
    files: typed,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // The three that find real bugs in code that answers first and works after: a promise no one awaits or
      // catches, a promise passed where a callback's result is ignored, and a check the types say is always true.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['__tests__/**/*.ts'],
    rules: {
      // supertest's and fetch's JSON bodies are `any`: a test reads them and asserts, which is the check.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Fakes implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // Tests destructure their fixtures' helpers ({ store, rows } = make()); none of them reads `this`.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Type-level tests: a value declared only for its type is the point.
    files: ['__tests__/types/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  prettier,
);
