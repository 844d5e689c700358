// Typed linting: the rules that need the type checker catch what tsc alone lets through
// (floating promises, misused promises, unsafe any flows).
import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

/**
 * A doc block directly over another documents nothing: the editor shows the second for the
 * declaration, and the first, once moved away from its subject, sits on the wrong one.
 */
const oneDocBlock = {
  meta: { type: 'problem', messages: { stacked: 'a doc block directly over another: move it to the declaration it describes' } },
  create(context) {
    const { sourceCode } = context;
    return {
      Program() {
        const docs = sourceCode.getAllComments().filter((comment) => comment.type === 'Block' && comment.value.startsWith('*'));
        docs.forEach((doc, at) => {
          const next = docs[at + 1];
          if (next && /^[ \t]*\r?\n[ \t]*$/.test(sourceCode.text.slice(doc.range[1], next.range[0]))) context.report({ loc: doc.loc, messageId: 'stacked' });
        });
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/web/', 'examples/', 'test/support/counting-reporter.cjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  // Every regex runs on what a client or an upstream sends (issue 8: one took 250 ms on 16 KB
  // of blanks). The plugin's recommended set, whose super-linear rules find patterns that
  // backtrack or rescan a run from each start; off are the rules that only restyle a pattern
  // the same meaning another way (use-ignore-case would also fold every other letter of it).
  // Pinned to 3.1 (~): from 3.2 it needs jsdoc-type-pratt-parser 9, which wants Node 22.
  regexp.configs['flat/recommended'],
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { local: { rules: { 'one-doc-block': oneDocBlock } } },
    rules: {
      'local/one-doc-block': 'error',
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The bridge matches control characters on purpose: to refuse them in names and keep them out of XML.
      'no-control-regex': 'off',
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
      'regexp/use-ignore-case': 'off',
      'regexp/prefer-d': 'off',
      'regexp/prefer-w': 'off',
      'regexp/control-character-escape': 'off',
      'regexp/no-unused-capturing-group': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // Node defines the global as a lazy getter that stays one: every read a JS call (four a cached photo).
      'no-restricted-globals': ['error', { name: 'performance', message: "import { performance } from 'node:perf_hooks'" }],
    },
  },
  {
    // Tests read parsed XML and JSON by path; typing every answer would say nothing the assertions do not.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
