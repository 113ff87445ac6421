// A Pannellum multires cube as the viewer's panorama adapter (plugin id 'tiles'): on SCENE_CHANGE it shows the
// scene's equirect placeholder and preview on a sphere first, then, after each frame, the tiles of the level the
// screen needs that are in view, nearest the view's centre first, from a bounded cache. Between the two, when
// the screen needs more than level 1 (or a face lost a tile, or the preview failed), the scene's fallback cube
// (one 1024-px image per face) of the faces in view comes first. Requests that leave the view or the level
// before they start are dropped (tileSource.js). A failed request is retried twice; after that the coarser
// layers underneath stay shown: never a black hole. A preview that fails for good is said in
// data-preview='failed', and the fallback faces (or level 1) stand in for it.
//
// Container data attributes: data-panorama 'placeholder' | 'preview' (what the sphere shows), data-preview
// 'failed', data-tiles 'loading' | 'loaded' (every wanted tile of the view in or given up on).
import {
  Box3, BufferAttribute, BufferGeometry, DoubleSide, Frustum, Group, LinearFilter, Matrix4, Mesh,
  MeshBasicMaterial, SphereGeometry, SRGBColorSpace, Vector3,
} from 'three';
import { RENDER, SCENE_CHANGE, TILES_LOADED } from '../events.js';
import { Plugin } from '../plugins/Plugin.js';
import { FACES, faceTiles, levelSizes, rectCentre, rectCorners } from './cubeGeometry.js';
import { fallbackUrl, previewUrl, TileSource, tileUrl } from './tileSource.js';

export { facePoint, levelSizes } from './cubeGeometry.js';
export { fallbackUrl, tileUrl } from './tileSource.js';

const CUBE = 10; // half the cube's side, viewer units
const SPHERE = 40; // radius of the preview sphere, behind the cube
const MAX_TILES = 72; // textures kept in the cache
const FALLBACK_ORDER = 0.5; // render order of the fallback faces: over the preview sphere, under every tile level
const BASE_FIRST = -10; // priority offset of the fallback faces: before every tile

const _frustum = new Frustum();
const _matrix = new Matrix4();
const _box = new Box3();
const _corners = [new Vector3(), new Vector3(), new Vector3(), new Vector3()];
const _centre = new Vector3();
const _forward = new Vector3();
const WHOLE = { u0: 0, v0: 0, u1: 1, v1: 1 };

function inView(rect) {
  _box.setFromPoints(rectCorners(rect, CUBE, _corners));
  return _frustum.intersectsBox(_box);
}

function quad(rect) {
  const positions = new Float32Array(12);
  rectCorners(rect, CUBE, _corners).forEach((corner, i) => corner.toArray(positions, i * 3));
  const geometry = new BufferGeometry();
  geometry.setAttribute('position', new BufferAttribute(positions, 3));
  geometry.setAttribute('uv', new BufferAttribute(new Float32Array([0, 1, 1, 1, 0, 0, 1, 0]), 2));
  geometry.setIndex([0, 2, 1, 1, 2, 3]);
  return geometry;
}

function prepare(texture) {
  texture.colorSpace = SRGBColorSpace;
  texture.minFilter = LinearFilter;
  texture.generateMipmaps = false;
  return texture;
}

export class CubeTiles extends Plugin {
  static id = 'tiles';

  constructor({ concurrency, retryMs } = {}) {
    super();
    this.group = new Group();
    this.tiles = null;
    this.cache = new Map(); // url → {mesh, level, used}
    this.failedFaces = new Set(); // faces with a tile given up on: their fallback face is shown
    this.previewFailed = false;
    this.generation = 0;
    this.source = new TileSource({
      concurrency, retryMs,
      onLoad: (job, texture) => this.add(job, texture),
      onGiveUp: (job) => this.giveUp(job),
      onIdle: () => this.settled(),
    });
    this.sphere = new Mesh(new SphereGeometry(SPHERE, 64, 32), new MeshBasicMaterial({ side: DoubleSide, depthTest: false, depthWrite: false }));
    this.sphere.scale.set(-1, 1, 1);
    this.sphere.rotation.y = -Math.PI / 2; // equirect centre column (u = ½) onto −Z, yaw 0
    this.sphere.renderOrder = 0;
    this.sphere.visible = false;
    this.group.add(this.sphere);
  }

  init(viewer) {
    super.init(viewer);
    this.container = viewer.container;
    viewer.scene3.add(this.group);
    this.listen(viewer, RENDER, () => this.update());
    this.listen(viewer, SCENE_CHANGE, (e) => this.load(e.detail.scene?.tiles || null));
    if (viewer.getScene()) this.load(viewer.getScene().tiles || null);
  }

  destroy() {
    this.clear();
    this.viewer.scene3.remove(this.group);
    this.sphere.geometry.dispose();
    this.sphere.material.dispose();
    this.tiles = null;
    super.destroy();
  }

  /** Show the panorama described by *tiles* (a scene's multires config, or null); frees the previous one. */
  load(tiles) {
    this.clear();
    this.tiles = tiles;
    if (!tiles) { this.viewer.requestRender(); return; }
    this.sizes = levelSizes(tiles);
    const generation = this.generation;
    const setPreview = (texture, stage) => {
      if (generation !== this.generation) { texture.dispose(); return; }
      this.sphere.material.map?.dispose();
      this.sphere.material.map = prepare(texture);
      this.sphere.material.needsUpdate = true;
      this.sphere.visible = true;
      this.container.dataset.panorama = stage;
      this.viewer.requestRender();
    };
    if (tiles.placeholder) {
      this.source.loader.load(tiles.placeholder, (texture) => {
        if (this.container.dataset.panorama !== 'preview') setPreview(texture, 'placeholder');
        else texture.dispose(); // the preview came first
      });
    }
    this.source.fetch(previewUrl(tiles)).then((texture) => setPreview(texture, 'preview'), () => {
      if (generation !== this.generation) return;
      console.warn(`CubeTiles: no preview ${previewUrl(tiles)}`);
      this.previewFailed = true;
      this.container.dataset.preview = 'failed';
      this.update(); // the fallback faces stand in for it
    });
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

  /** Read-only request counts of the shown panorama: {loaded, retried, failed, fallback, dropped, pending, inFlight}. */
  get stats() {
    return Object.freeze({ ...this.source.counts, pending: this.source.pending, inFlight: this.source.inFlight });
  }

  /** Into *wanted*: *url* for face rectangle *rect* at render order *level*, unless cached (then marked used). */
  want(wanted, url, rect, level, now, { fallback = false } = {}) {
    const cached = this.cache.get(url);
    if (cached) { cached.used = now; return; }
    const nearness = -rectCentre(rect, _centre).dot(_forward); // −1 at the view's centre … 1 behind
    wanted.set(url, { ...rect, level, fallback, priority: (fallback ? BASE_FIRST : 0) + nearness });
  }

  /** After each frame: want the base layer and the needed level's tiles in view; the source drops the rest. */
  update() {
    if (!this.tiles) return;
    const { camera } = this.viewer;
    _frustum.setFromProjectionMatrix(_matrix.multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse));
    camera.getWorldDirection(_forward);
    const level = this.neededLevel();
    const step = this.tiles.tileResolution;
    const now = performance.now();
    const wanted = new Map();
    for (const face of FACES) {
      const fallback = fallbackUrl(this.tiles, face);
      const base = level > 1 || this.failedFaces.has(face) || this.previewFailed;
      if (!base) continue;
      if (fallback) {
        const rect = { face, ...WHOLE };
        if (inView(rect)) this.want(wanted, fallback, rect, FALLBACK_ORDER, now, { fallback: true });
      } else if (this.previewFailed && level > 1) { // no fallback cube: level 1 stands in for the preview
        for (const rect of faceTiles(face, this.sizes[0], step)) {
          if (inView(rect)) this.want(wanted, tileUrl(this.tiles, 1, face, rect.row, rect.col), rect, 1, now, { fallback: true });
        }
      }
    }
    for (const face of FACES) {
      for (const rect of faceTiles(face, this.sizes[level - 1], step)) {
        if (inView(rect)) this.want(wanted, tileUrl(this.tiles, level, face, rect.row, rect.col), rect, level, now);
      }
    }
    this.source.want(wanted);
    if (this.source.pending) this.container.dataset.tiles = 'loading';
    else this.settled();
  }

  /** With nothing pending, say the tiles in view are in (those given up on included). */
  settled() {
    if (this.source.pending !== 0 || this.container.dataset.tiles === 'loaded') return;
    this.container.dataset.tiles = 'loaded';
    this.viewer.dispatchEvent(new Event(TILES_LOADED));
  }

  giveUp(job) {
    if (!job.fallback) this.failedFaces.add(job.face); // the coarser layers stay; this face's fallback comes in
    this.update(); // asks for it before the tiles can count as settled
  }

  add(job, texture) {
    const material = new MeshBasicMaterial({ map: prepare(texture), side: DoubleSide, depthTest: false, depthWrite: false });
    const mesh = new Mesh(quad(job), material);
    mesh.renderOrder = job.level; // finer levels drawn over coarser ones and over the preview
    this.group.add(mesh);
    this.cache.set(job.url, { mesh, level: job.level, used: performance.now() });
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
    this.source.reset();
    for (const entry of this.cache.values()) this.disposeMesh(entry.mesh);
    this.cache.clear();
    this.failedFaces.clear();
    this.previewFailed = false;
    this.sphere.visible = false;
    this.sphere.material.map?.dispose();
    this.sphere.material.map = null;
    this.sphere.material.needsUpdate = true;
    for (const key of ['tiles', 'panorama', 'preview']) delete this.container.dataset[key];
  }
}
