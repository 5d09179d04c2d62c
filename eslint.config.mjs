// Flat ESLint configuration.
// - typescript-eslint's recommended rules, type-aware where it pays (floating promises).
// - The pure layers (model, patch, mapping, review, protocol) and the webview must never import
//   'vscode': that keeps their tests plain mocha, outside Electron (see ../shared/docs/style.md).
//   Nor may the exploration worker and what it loads (src/vscode/worker.ts, jobs.ts, the worker
//   protocol and client): a worker thread has no 'vscode' module, so an import there would only
//   fail at run time. present.ts (what the editor shows, decided as data) stays pure for its tests.
// - `.only` in tests is banned so a focused test can never silently skip the rest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/vscode/ may import vscode.' }] }],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', 'artifacts/**', 'media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Generated successor code is built with new Function on purpose (compile.ts).
      'no-new-func': 'off',
    },
  },
  {
    files: [
      'src/model/**',
      'src/patch/**',
      'src/mapping/**',
      'src/review/**',
      'src/protocol.ts',
      'src/cli.ts',
      'src/webview/**',
      'src/vscode/worker.ts',
      'src/vscode/jobs.ts',
      'src/vscode/workerProtocol.ts',
      'src/vscode/workerClient.ts',
      'src/vscode/present.ts',
    ],
    rules: noVscode,
  },
  {
    files: ['test/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'Do not commit focused tests.' },
        { object: 'it', property: 'only', message: 'Do not commit focused tests.' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
