// ESLint with typescript-eslint's type-checked rules over the server (src), the tests, the load and
// chaos tools (all in tsconfig.json) and the browser client (web/tsconfig.json). Formatting is
// Prettier's (`npm run format`); eslint-config-prettier, last, turns off any rule that would argue with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'web/dist*/', 'coverage/', 'data/', 'bench/results/', 'docs/', '.scratch/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // Each file is checked with the tsconfig.json nearest to it: web/ has its own (DOM, bundler).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Both are in recommendedTypeChecked; named because they are the reason for this config. A key
      // left out of an object by a rest pattern ({ $schema: _, ...rest }) is not unused code.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // Fastify routes and test callbacks are async by contract, awaiting or not (Fastify sends what they resolve to).
      '@typescript-eslint/require-await': 'off',
      // A closure may read a `let` before its one assignment (user-admission.ts); as a const it would throw.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A caught value is typed unknown; passing it on to reject() as it was thrown is right.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read answers off the wire as `any` (the helpers' default type) and check their shape with expect().
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
  },
  prettier,
);
