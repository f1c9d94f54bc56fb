// The JavaScript linter's settings (make lint, part of make test): ESLint's recommended
// rules, which find names used but never defined, code that cannot run, and names
// defined but never used. Everything the project writes is linted; generated and
// fetched files are not.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['dist/', 'build/', 'node_modules/', 'bench/peers/vendor/'] },
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.worker, ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
    },
  },
];
