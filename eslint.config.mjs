// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** Node built-ins by both spellings (`fs`, `node:fs`, `fs/promises`). */
const nodeBuiltins = builtinModules.flatMap((m) => [m, `${m}/*`, `node:${m}`, `node:${m}/*`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.stockflow/**', 'coverage/**', 'artifacts/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // The lint-rule test lints this never-written path from stdin (test/unit/lint-rules.test.ts).
        projectService: { allowDefaultProject: ['workflows/__lint-fixture__.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The workflow sandbox must stay deterministic: no I/O, no clocks of its own, only @temporalio/workflow and pure
    // code. Activities and src/ modules may be imported for their types only (`import type`).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows must not do I/O: move it into an activity.' })),
            { name: 'axios', message: 'Workflows must not do HTTP: call an activity.' },
          ],
          patterns: [
            {
              group: ['axios/*'],
              message: 'Workflows must not do HTTP: call an activity.',
            },
            {
              group: ['**/activities', '**/activities/**', '**/src/**', '!**/src/shared/**'],
              allowTypeImports: true,
              message: 'Workflows may import activities and src/ I/O code only with `import type`.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
  },
);
