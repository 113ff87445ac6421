// A Pannellum multires cube as an adapter of the viewer: the equirect placeholder and preview on a sphere
// first, then the tiles of the level the screen needs, for the tiles in view only, from a bounded cache.
// Between the two, when the screen needs more than level 1 (or a face lost a tile), the scene's fallback cube
// (one 1024-px image per face, basePath + fallbackPath) of the faces in view. A failed request is retried
// twice (after RETRY_MS); after that the coarser layers underneath stay shown: never a black hole.
//
// Faces (as Pannellum and server/panoramas/tiles.py): f looks at yaw 0 (−Z), r at +90 (+X), b at 180 (+Z),
// l at −90 (−X), u up, d down. Image column u runs right and row v down, seen from inside the cube.
import {
  Box3, BufferAttribute, BufferGeometry, DoubleSide, Frustum, Group, LinearFilter, Matrix4, Mesh,
  MeshBasicMaterial, SphereGeometry, SRGBColorSpace, TextureLoader, Vector3,
} from 'three';
import { RENDER, TILES_LOADED } from '../events.js';

const FACES = 'frblud';
const CUBE = 10; // half the cube's side, viewer units
const SPHERE = 40; // radius of the preview sphere, behind the cube
const MAX_TILES = 72; // textures kept in the cache
const CONCURRENCY = 6; // tile requests in flight
const RETRY_MS = [500, 2000]; // waits before the 2nd and 3rd try of a failed request
const FALLBACK_ORDER = 0.5; // render order of the fallback faces: over the preview sphere, under every tile level

const _frustum = new Frustum();
const _matrix = new Matrix4();
const _box = new Box3();
const _corner = new Vector3();

/** Viewer-space point of face *face* at image coordinates (u, v) in [0, 1], on the unit cube. */
export function facePoint(face, u, v, target = new Vector3()) {
  const a = 2 * u - 1;
  const b = 2 * v - 1;
  switch (face) {
    case 'f': return target.set(a, -b, -1);
    case 'r': return target.set(1, -b, a);
    case 'b': return target.set(-a, -b, 1);
    case 'l': return target.set(-1, -b, -a);
    case 'u': return target.set(a, 1, -b);
    default: return target.set(a, -1, b); // d
  }
}

/** Face sizes per level, level 1 first (Pannellum's int halving from cubeResolution). */
export function levelSizes(tiles) {
  const sizes = [];
  let size = tiles.cubeResolution;
  for (let i = 0; i < tiles.maxLevel; i++) {
    sizes.unshift(size);
    size = Math.floor(size / 2);
  }
  return sizes;
}

/** The URL of one tile: basePath + path with %l level, %s face, %y row, %x column. */
export function tileUrl(tiles, level, face, row, col) {
  const path = tiles.path.replace('%l', level).replace('%s', face).replace('%y', row).replace('%x', col);
  return `${tiles.basePath}${path}.${tiles.extension}`;
}

/** The URL of one face of the fallback cube (basePath + fallbackPath with %s face), or null without one. */
export function fallbackUrl(tiles, face) {
  if (!tiles.fallbackPath) return null;
  return `${tiles.basePath}${tiles.fallbackPath.replace('%s', face)}.${tiles.extension}`;
}

function quad(face, u0, v0, u1, v1) {
  const corners = [[u0, v0], [u1, v0], [u0, v1], [u1, v1]];
  const positions = new Float32Array(12);
  corners.forEach(([u, v], i) => facePoint(face, u, v, _corner).multiplyScalar(CUBE).toArray(positions, i * 3));
  const geometry = new BufferGeometry();
  geometry.setAttribute('position', new BufferAttribute(positions, 3));
  geometry.setAttribute('uv', new BufferAttribute(new Float32Array([0, 1, 1, 1, 0, 0, 1, 0]), 2));
  geometry.setIndex([0, 2, 1, 1, 2, 3]);
  return geometry;
}

export class CubeTiles extends EventTarget {
  constructor(viewer) {
    super();
    this.viewer = viewer;
    this.group = new Group();
    this.loader = new TextureLoader();
    this.tiles = null;
    this.cache = new Map(); // url → {mesh, level, used}
    this.pending = new Map(); // url → {level, face, row, col, box}
    this.inFlight = 0;
    this.generation = 0;
    this.failed = new Set(); // urls given up on (this panorama): not asked again
    this.failedFaces = new Set(); // faces with a tile given up on: their fallback face is shown
    this.counts = { loaded: 0, retried: 0, failed: 0, fallback: 0 }; // requests of this panorama
    this.sphere = new Mesh(new SphereGeometry(SPHERE, 64, 32), new MeshBasicMaterial({ side: DoubleSide, depthTest: false, depthWrite: false }));
    this.sphere.scale.set(-1, 1, 1);
    this.sphere.rotation.y = -Math.PI / 2; // equirect centre column (u = ½) onto −Z, yaw 0
    this.sphere.renderOrder = 0;
    this.group.add(this.sphere);
    this._update = this.update.bind(this);
  }

  connect() {
    this.viewer.scene.add(this.group);
    this.viewer.addEventListener(RENDER, this._update);
  }

  disconnect() {
    this.viewer.removeEventListener(RENDER, this._update);
    this.viewer.scene.remove(this.group);
  }

  /** Show the panorama described by *tiles* (a scene's multires config); frees the previous one. */
  load(tiles) {
    this.clear();
    this.tiles = tiles;
    this.sizes = levelSizes(tiles);
    const generation = this.generation;
    this.sphere.visible = false;
    const setPreview = (texture, stage) => {
      if (generation !== this.generation) return texture.dispose();
      texture.colorSpace = SRGBColorSpace;
      texture.minFilter = LinearFilter;
      texture.generateMipmaps = false;
      this.sphere.material.map?.dispose();
      this.sphere.material.map = texture;
      this.sphere.material.needsUpdate = true;
      this.sphere.visible = true;
      this.viewer.container.dataset.panorama = stage;
      this.viewer.requestRender();
    };
    if (tiles.placeholder) {
      this.loader.load(tiles.placeholder, (tex) => {
        if (this.viewer.container.dataset.panorama !== 'preview') setPreview(tex, 'placeholder');
        else tex.dispose(); // the preview came first
      });
    }
    this.loader.load(tiles.basePath + tiles.preview, (tex) => setPreview(tex, 'preview'));
    this.viewer.requestRender();
  }

  /** The level whose face pixels match the screen's pixels at the current field of view. */
  neededLevel() {
    const { camera, renderer } = this.viewer;
    const height = renderer.domElement.height; // device pixels
    const need = height / Math.tan((camera.fov * Math.PI) / 360);
    const index = this.sizes.findIndex((size) => size >= need);
    return index === -1 ? this.sizes.length : index + 1;
  }

  /** Read-only request counts of the shown panorama: {loaded, retried, failed, fallback} (tests, diagnostics). */
  get stats() {
    return Object.freeze({ ...this.counts, pending: this.pending.size });
  }

  /** Ask for *url* unless cached (then mark it used), asked already, or given up on. */
  want(url, job, now) {
    const cached = this.cache.get(url);
    if (cached) cached.used = now;
    else if (!this.pending.has(url) && !this.failed.has(url)) this.pending.set(url, { ...job, queued: false, tries: 0 });
  }

  /** After each frame: request the needed level's tiles that are in view (the fallback faces first). */
  update() {
    if (!this.tiles) return;
    const { camera } = this.viewer;
    _frustum.setFromProjectionMatrix(_matrix.multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse));
    const level = this.neededLevel();
    const size = this.sizes[level - 1];
    const step = this.tiles.tileResolution;
    const across = Math.ceil(size / step);
    const now = performance.now();
    for (const face of FACES) {
      const fallback = fallbackUrl(this.tiles, face);
      if (fallback && (level > 1 || this.failedFaces.has(face))) {
        _box.makeEmpty();
        for (const [u, v] of [[0, 0], [1, 0], [0, 1], [1, 1]]) _box.expandByPoint(facePoint(face, u, v, _corner).multiplyScalar(CUBE));
        if (_frustum.intersectsBox(_box)) this.want(fallback, { level: FALLBACK_ORDER, face, u0: 0, v0: 0, u1: 1, v1: 1, fallback: true }, now);
      }
    }
    for (const face of FACES) {
      for (let row = 0; row < across; row++) {
        for (let col = 0; col < across; col++) {
          const u0 = (col * step) / size, u1 = Math.min((col + 1) * step, size) / size;
          const v0 = (row * step) / size, v1 = Math.min((row + 1) * step, size) / size;
          _box.makeEmpty();
          for (const [u, v] of [[u0, v0], [u1, v0], [u0, v1], [u1, v1]]) _box.expandByPoint(facePoint(face, u, v, _corner).multiplyScalar(CUBE));
          if (!_frustum.intersectsBox(_box)) continue;
          this.want(tileUrl(this.tiles, level, face, row, col), { level, face, u0, v0, u1, v1 }, now);
        }
      }
    }
    this.pump();
  }

  pump() {
    for (const [url, job] of this.pending) {
      if (this.inFlight >= CONCURRENCY) break;
      if (job.queued) continue;
      job.queued = true;
      this.inFlight++;
      const generation = this.generation;
      const done = () => {
        this.inFlight--;
        this.pending.delete(url);
        this.pump();
        this.settled();
      };
      this.loader.load(url, (texture) => {
        if (generation !== this.generation) { texture.dispose(); return; } // cleared meanwhile: counts were reset
        this.counts[job.fallback ? 'fallback' : 'loaded']++;
        this.add(url, job, texture);
        done();
      }, undefined, () => {
        if (generation !== this.generation) return;
        if (job.tries < RETRY_MS.length) {
          this.inFlight--;
          this.counts.retried++;
          setTimeout(() => {
            if (generation !== this.generation || !this.pending.has(url)) return;
            job.tries++;
            job.queued = false;
            this.pump();
          }, RETRY_MS[job.tries]);
          this.pump();
          return;
        }
        // Given up: the coarser layers underneath stay shown, and this face's fallback comes in if it can.
        this.counts.failed++;
        this.failed.add(url);
        if (!job.fallback) this.failedFaces.add(job.face);
        console.warn(`CubeTiles: gave up on ${url}`);
        this.update(); // asks for the face's fallback before the tiles can count as settled
        done();
      });
    }
  }

  /** With nothing pending, say the tiles in view are in (those given up on included). */
  settled() {
    if (this.pending.size !== 0) return;
    this.viewer.container.dataset.tiles = 'loaded';
    this.dispatchEvent(new Event(TILES_LOADED));
  }

  add(url, job, texture) {
    texture.colorSpace = SRGBColorSpace;
    texture.minFilter = LinearFilter;
    texture.generateMipmaps = false;
    const material = new MeshBasicMaterial({ map: texture, side: DoubleSide, depthTest: false, depthWrite: false });
    const mesh = new Mesh(quad(job.face, job.u0, job.v0, job.u1, job.v1), material);
    mesh.renderOrder = job.level; // finer levels drawn over coarser ones and over the preview
    this.group.add(mesh);
    this.cache.set(url, { mesh, level: job.level, used: performance.now() });
    this.evict();
    this.viewer.requestRender();
  }

  /** Keep at most MAX_TILES textures: drop the least recently used. */
  evict() {
    if (this.cache.size <= MAX_TILES) return;
    const oldest = [...this.cache.entries()].sort((a, b) => a[1].used - b[1].used);
    for (const [url, entry] of oldest.slice(0, this.cache.size - MAX_TILES)) {
      this.disposeMesh(entry.mesh);
      this.cache.delete(url);
    }
  }

  disposeMesh(mesh) {
    this.group.remove(mesh);
    mesh.geometry.dispose();
    mesh.material.map?.dispose();
    mesh.material.dispose();
  }

  /** Release every tile texture and forget requests of the previous panorama. */
  clear() {
    this.generation++;
    for (const entry of this.cache.values()) this.disposeMesh(entry.mesh);
    this.cache.clear();
    this.pending.clear();
    this.failed.clear();
    this.failedFaces.clear();
    this.counts = { loaded: 0, retried: 0, failed: 0, fallback: 0 };
    this.inFlight = 0;
    delete this.viewer.container.dataset.tiles;
    delete this.viewer.container.dataset.panorama;
  }

  dispose() {
    this.clear();
    this.disconnect();
    this.sphere.geometry.dispose();
    this.sphere.material.map?.dispose();
    this.sphere.material.dispose();
    this.tiles = null;
  }
}
