// ESLint (flat config): typescript-eslint's type-checked recommended rules over the TypeScript sources
// (src/, scripts/, bench/, test/, ormconfig.ts), with eslint-config-prettier last so layout is Prettier's alone.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.ci/out/',
      'coverage/',
      '.mariadb/',
      'data/',
      // written by `npm run codegen`
      'test/generated/',
      // browser code, bundled by esbuild into dist/web (scripts/build-web.ts): not part of the server's type-checked tree
      'web/',
      'examples/',
      // TypeORM-generated migrations (`npm run migration:generate`): machine-written SQL, not edited by hand
      'src/migrations/',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // a parameter named `_x` is there for its position or its decorator (a GraphQL @Arg, express's 4-argument
      // error handler); `{ a: _a, ...rest }` leaves `a` out of `rest`
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // jest's asymmetric matchers (expect.any, expect.stringMatching, expect.objectContaining…) are typed `any` by
      // @types/jest, so an expected value that holds one is an "unsafe assignment": that is all 19 of this rule's hits left
      // in test/ once the `ds.query` rows were typed (2 are JSON.parse'd values compared whole); other no-unsafe-* rules stay on
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // the few plain JavaScript files (jest.config.js, scripts/schema-compat/deliberate.js, this file): no type information
    files: ['**/*.{js,cjs,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
  },
  prettier,
);
