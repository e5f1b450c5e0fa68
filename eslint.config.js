// Lint enforces the layer direction (docs/architecture.md):
// shared/ (pure) <- electron/engine/ (Node) <- electron/host/ <- electron/cli, electron/app; renderer/ sees only shared/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream', 'events', 'util'];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-electron/**', 'out/**', 'node_modules/**', 'renderer/dist/**', 'test-artifacts/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'shared/ is pure: no I/O, no Node built-ins.' },
          { group: ['electron', '**/electron/**', '../electron/*', '../renderer/*', '**/renderer/**'], message: 'shared/ imports nothing above it.' },
        ],
      }],
    },
  },
  {
    files: ['electron/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The engine does not know Electron exists.' }],
        patterns: [
          { group: ['**/app/**', '../app/*', '**/cli/**', '../cli/*', '**/host/**', '../host/*', '**/renderer/**'], message: 'engine/ imports only shared/ and itself.' },
        ],
      }],
    },
  },
  {
    files: ['electron/host/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The host serves the engine in plain Node (the app adds Electron around it).' }],
        patterns: [
          { group: ['**/app/**', '../app/*', '**/cli/**', '../cli/*', '**/renderer/**'], message: 'host/ imports engine/, shared/ and itself.' },
        ],
      }],
    },
  },
  {
    files: ['electron/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The CLI runs in plain Node.' }],
        patterns: [{ group: ['**/app/**', '../app/*', '**/renderer/**'], message: 'cli/ imports host/, engine/ and shared/ only.' }],
      }],
    },
  },
  {
    // The shell's logic is pure and tested without Electron: only the thin glue may import it at run time.
    files: ['electron/app/**/*.ts'],
    ignores: ['electron/app/{main,tray,window,preload,log,security}.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'Pure shell logic: import Electron types only (import type).', allowTypeImports: true }],
        patterns: [{ group: ['**/cli/**', '../cli/*', '**/renderer/**'], message: 'app/ does not import the CLI or the renderer.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'The renderer is browser code.' },
          { group: ['electron', '**/electron/**', '../electron/*'], message: 'The renderer knows only the contract in shared/.' },
        ],
      }],
    },
  },
);
