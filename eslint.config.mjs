// ESLint (flat config): typescript-eslint's and eslint-plugin-vue's recommended rules over the
// sources, tests, benches and scripts; formatting is Prettier's (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'native/build/**', 'bench-runs/**', 'test-output/**', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Prettier owns the layout of templates as of scripts
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      // `ready && go()` and `a ? f() : g()` as statements are this code base's idiom for a guarded call
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // components are named by the folder they sit in (review/Evidence.vue), not by a prefix
      'vue/multi-word-component-names': 'off',
      // `_name`: an argument a signature requires and the body does not use
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
