// Bundle the front end: web/src/main.js → web/dist/tour.js (ES module, minified, tree-shaken) and
// web/src/tour.css → web/dist/tour.css, each with a .gz beside it. three comes from web/node_modules.
// Run from anywhere: node scripts/build_web.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const esbuild = createRequire(join(web, 'package.json'))('esbuild');
const dist = join(web, 'dist');
mkdirSync(dist, { recursive: true });

await esbuild.build({
  absWorkingDir: web,
  entryPoints: [
    { in: 'src/main.js', out: 'tour' },
    { in: 'src/tour.css', out: 'tour' },
  ],
  outdir: dist,
  bundle: true,
  format: 'esm',
  minify: true,
  treeShaking: true,
  target: ['es2020'],
  legalComments: 'linked',
  logLevel: 'warning',
});

for (const name of ['tour.js', 'tour.css']) {
  const raw = readFileSync(join(dist, name));
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(join(dist, `${name}.gz`), gz);
  console.log(`web/dist/${name}: ${(raw.length / 1024).toFixed(1)} KiB, gzip ${(gz.length / 1024).toFixed(1)} KiB`);
}
