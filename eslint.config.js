import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tsbuild/**', 'out/**', 'e2e/artifacts/**', 'test-results/**', '**/*.cjs', 'usb-harness/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // core/ is pure: it may import only core/ (tsconfig also denies it Node/DOM types).
    files: ['core/**/*.ts'],
    ignores: ['core/**/*.test.ts', 'core/testing/**'],
    rules: {
      // `paths` for package names: as a gitignore-style pattern, 'usb' would also match core's own ../usb/ folder.
      'no-restricted-imports': ['error', { paths: ['electron', 'usb', 'react'], patterns: ['../../electron/*', '../../renderer/*', '../../cli/*', '../../node/*', 'node:*'] }],
      'no-console': 'error',
    },
  },
  {
    // The CLI and the Node adapters run without Electron: they never import electron/ (tests may
    // use the app service to prove both front ends agree).
    files: ['cli/**/*.ts', 'node/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['electron'], patterns: ['**/electron/*', '**/electron/**'] }],
    },
  },
  {
    // The renderer reaches the device only through window.programmer: runtime imports from core
    // are limited to the contract and byte formatting. Its tests may use core's real decoders to
    // build what main would send (no hand-written look-alikes), never Electron or Node.
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/**/*.test.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/electron/**', '**/cli/**', '**/node/**', 'electron', 'node:*', 'usb'], message: 'The renderer talks to main only through window.programmer.' },
            {
              group: ['**/core/**', '!**/core/contract', '!**/core/contract/programmer', '!**/core/contract/programmer.js', '!**/core/bytes', '!**/core/bytes.js', '!**/core/format', '!**/core/format.js'],
              allowTypeImports: true,
              message: 'Only core/contract/programmer, core/bytes and core/format may be imported at run time; use `import type` for the rest.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.test.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/electron/**', '**/cli/**', '**/node/**', 'electron', 'node:*', 'usb'], message: 'Renderer tests run the renderer, not main.' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.test.tsx', 'e2e/**', 'scripts/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // Scripts, benchmarks, the CLI, main process and tests run on Node.
    files: ['**/*.js', '**/*.mjs', 'scripts/**', 'bench/**', 'usb-harness/**', 'electron/**', 'cli/**', 'node/**', 'e2e/**'],
    languageOptions: { globals: { ...globals.node } },
  },
);
