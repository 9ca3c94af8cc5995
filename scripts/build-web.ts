/**
 * Bundles what the browser loads from this server, from the npm packages, at build time:
 * GraphiQL (web/graphiql/main.jsx) into dist/web/graphiql/{graphiql.js,graphiql.css}.
 * No CDN at run time: the explorer works on a machine without internet.
 *
 *   npm run build:web        (part of `npm run build`, and run before `npm test`)
 */
import { build } from 'esbuild';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

async function main() {
  const result = await build({
    entryPoints: { graphiql: join(ROOT, 'web/graphiql/main.jsx') },
    outdir: join(ROOT, 'dist/web/graphiql'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl' },
    logLevel: 'warning',
    metafile: true,
  });
  const sizes = Object.entries(result.metafile.outputs).map(([file, out]) => `${file.replace(`${ROOT}/`, '')} ${(out.bytes / 1024).toFixed(0)} KiB`);
  console.log(`web bundle: ${sizes.join(', ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
