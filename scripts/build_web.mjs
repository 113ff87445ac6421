// Bundle the front end: web/src/main.js → web/dist/tour.js (ES module, minified, tree-shaken) and
// web/src/tour.css → web/dist/tour.css, each with a .br and a .gz beside it (compressed once here, served by
// negotiation: server/web/compression.py). three comes from web/node_modules.
// Needs web/src/generated/vocabulary.js (python -m server.web.vocabulary_js). Run from anywhere: node scripts/build_web.mjs
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const vocabulary = join(web, 'src', 'generated', 'vocabulary.js');
if (!existsSync(vocabulary)) {
  console.error(`${relative(root, vocabulary)} 缺失 / is missing: it is generated from server/vocabulary.py.\n`
    + 'Run `python -m server.web.vocabulary_js` first (bash scripts/test and scripts/run do).');
  process.exit(1);
}
const esbuild = createRequire(join(web, 'package.json'))('esbuild');
const dist = join(web, 'dist');
mkdirSync(dist, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: web,
  entryPoints: [
    { in: 'src/main.js', out: 'tour' },
    { in: 'src/kiosk/main.js', out: 'kiosk' }, // the kiosk page (server/templates/kiosk.html)
    { in: 'src/kiosk/kiosk.css', out: 'kiosk' },
    { in: 'src/tour.css', out: 'tour' },
    { in: 'src/admin.css', out: 'admin' }, // the staff pages (server/templates/admin)
    { in: 'src/admin/kiosks.js', out: 'admin-kiosks' }, // /admin/kiosks (server/templates/admin/kiosks.html)
  ],
  outdir: dist,
  bundle: true,
  format: 'esm',
  splitting: true, // dynamic import() becomes a lazy chunk: the 3D hall loads only when used
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  treeShaking: true,
  target: ['es2020'],
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
});

// Chunk names carry a content hash. Chunks of earlier builds stay a while (a page loaded before this build, or
// a test run beside this one, may still ask for them), then go.
const outputs = Object.keys(result.metafile.outputs).map((p) => relative(dist, join(web, p)).split('\\').join('/'));
const chunkDir = join(dist, 'chunks');
const STALE_MS = 60 * 60 * 1000;
for (const name of existsSync(chunkDir) ? readdirSync(chunkDir) : []) {
  const path = join(chunkDir, name);
  if (!outputs.includes(`chunks/${name.replace(/\.(gz|br)$/, '')}`) && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path);
}
for (const name of outputs.filter((n) => /\.(js|css)$/.test(n))) {
  const raw = readFileSync(join(dist, name));
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  writeFileSync(join(dist, `${name}.gz`), gz);
  writeFileSync(join(dist, `${name}.br`), br);
  console.log(`web/dist/${name}: ${(raw.length / 1024).toFixed(1)} KiB, gzip ${(gz.length / 1024).toFixed(1)} KiB, brotli ${(br.length / 1024).toFixed(1)} KiB`);
}
