// Bundle the front end: web/src/main.js → web/dist/tour.js (ES module, minified, tree-shaken) and
// web/src/tour.css → web/dist/tour.css, each with a .br and a .gz beside it (compressed once here, served by
// negotiation: server/web/compression.py). three comes from web/node_modules.
// Needs web/src/generated/vocabulary.js (python -m server.web.vocabulary_js). Run from anywhere: node scripts/build_web.mjs
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    { in: 'src/admin/services.js', out: 'admin-services' }, // /admin/services (server/templates/admin/services.html)
    { in: 'src/admin/main.js', out: 'admin' }, // their script (server/templates/admin/app.html)
    { in: 'src/admin/import.js', out: 'admin-import' }, // the spreadsheet page (admin/import.html)
    { in: 'src/admin/panoramas.js', out: 'admin-panoramas' }, // panorama uploads (admin/panoramas.html)
    { in: 'src/admin/scenes.js', out: 'admin-scenes' }, // the scene editor (admin/scene_editor.html)
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
// The kiosk's service worker (web/src/kiosk/sw.js): a classic script of its own, then Workbox injects the
// precache manifest: the kiosk page's code (its entry, styles and every chunk of this build), each with a
// content hash as revision. Served at /static/web/kiosk-sw.js with Service-Worker-Allowed: /kiosk/.
const { injectManifest } = createRequire(join(web, 'package.json'))('workbox-build');
const swTemp = mkdtempSync(join(tmpdir(), 'vhall-sw-'));
await esbuild.build({
  absWorkingDir: web,
  entryPoints: ['src/kiosk/sw.js'],
  outfile: join(swTemp, 'kiosk-sw.js'),
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
});
const precached = outputs.filter((n) => /^(kiosk\.(js|css)|tour\.css|chunks\/.*\.js)$/.test(n));
const { count, size } = await injectManifest({
  swSrc: join(swTemp, 'kiosk-sw.js'),
  swDest: join(dist, 'kiosk-sw.js'),
  globDirectory: dist,
  globPatterns: [],
  additionalManifestEntries: precached.map((name) => ({
    url: `/static/web/${name}`,
    revision: name.startsWith('chunks/') ? null : createHash('sha256').update(readFileSync(join(dist, name))).digest('hex').slice(0, 16),
  })),
  injectionPoint: 'self.__WB_MANIFEST',
});
rmSync(swTemp, { recursive: true, force: true });
outputs.push('kiosk-sw.js');
console.log(`web/dist/kiosk-sw.js: precaches ${count} files, ${(size / 1024).toFixed(1)} KiB`);

for (const name of outputs.filter((n) => /\.(js|css)$/.test(n))) {
  const raw = readFileSync(join(dist, name));
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  writeFileSync(join(dist, `${name}.gz`), gz);
  writeFileSync(join(dist, `${name}.br`), br);
  console.log(`web/dist/${name}: ${(raw.length / 1024).toFixed(1)} KiB, gzip ${(gz.length / 1024).toFixed(1)} KiB, brotli ${(br.length / 1024).toFixed(1)} KiB`);
}
