// The JavaScript check (scripts/lint-js.sh): eslint's recommended rules, and the formatting
// rules of @stylistic set to the code's own style, so `eslint --fix` formats without reflowing
// (2 spaces, single quotes, semicolons, trailing commas on multi-line lists, at most 160 columns
// of code: long strings, templates and comments may run on). Over the page (web/, not the
// vendored web/vendor/), the tests (tests/*.mjs) and the scripts (scripts/*.mjs).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';

export default [
  { ignores: ['web/vendor/**', 'pkg/**', 'target/**', 'fuzz/**', 'node_modules/**', 'tests/artifacts/**'] },
  js.configs.recommended,
  {
    files: ['web/**/*.js', 'tests/**/*.mjs', 'scripts/**/*.mjs', 'eslint.config.mjs'],
    plugins: { '@stylistic': stylistic },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      'no-var': 'error',
      '@stylistic/indent': ['error', 2, { SwitchCase: 1, ignoredNodes: ['ConditionalExpression *', 'TemplateLiteral *'] }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/eol-last': 'error',
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxBOF: 0, maxEOF: 0 }],
      '@stylistic/no-mixed-spaces-and-tabs': 'error',
      '@stylistic/max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreComments: true, ignoreRegExpLiterals: true }],
    },
  },
  // The page's main thread.
  { files: ['web/app.js', 'web/ui/**/*.js'], languageOptions: { globals: globals.browser } },
  // The engine's workers (engine/client.js runs on the page but shares their folder).
  { files: ['web/engine/**/*.js'], languageOptions: { globals: { ...globals.worker, ...globals.browser } } },
  // Node; the tests also hold code that runs in the page (page.evaluate).
  { files: ['scripts/**/*.mjs', 'eslint.config.mjs'], languageOptions: { globals: globals.node } },
  { files: ['tests/**/*.mjs'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
];
