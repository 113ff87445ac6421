// The 3D hall ("dollhouse"): the hall model (GLB) with orbit controls in an overlay canvas, a floor filter,
// counters and facilities pickable (the same HOTSPOT_SELECT the hotspots dispatch), a marker per panorama
// scene (choosing one flies the camera in and returns to that panorama) and the active route on the floor.
// Loaded lazily (dynamic import from main.js); renders on demand (data-frame counts frames); open() builds,
// close() releases all. Plugin id 'dollhouse', drawn into its *container*; emits HOTSPOT_SELECT and
// DOLLHOUSE_CLOSE; "back" gives the focus to *returnFocus* (default: the viewer's container).
import {
  Box3, Color, DirectionalLight, HemisphereLight, Mesh, MeshBasicMaterial, MeshStandardMaterial, PerspectiveCamera,
  Raycaster, Scene, SphereGeometry, SRGBColorSpace, Vector2, Vector3, WebGLRenderer, BoxGeometry, Group,
} from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { DOLLHOUSE_CLOSE, HOTSPOT_SELECT } from '../events.js';
import { pick, t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { Plugin } from './Plugin.js';

const FLY_MS = 600;
const ABOVE_FLOOR = 3; // metres above a floor's elevation that stay visible when one floor is chosen
const PICKABLE = /^(counter|facility):[^/]+$/;
const CLICK_SLOP = 6; // pixels a press may move and still count as a click
const _box = new Box3();
const _v = new Vector3();
const _ndc = new Vector2();
const _ray = new Raycaster();

function disposeObject(root) {
  root.traverse((node) => {
    node.geometry?.dispose();
    const materials = Array.isArray(node.material) ? node.material : node.material ? [node.material] : [];
    for (const material of materials) {
      for (const value of Object.values(material)) if (value?.isTexture) value.dispose();
      material.dispose();
    }
  });
}

export class Dollhouse extends Plugin {
  static id = 'dollhouse';

  constructor({ container, hall, returnFocus = null }) {
    super();
    this.returnFocus = returnFocus;
    this.container = container;
    this.hall = hall;
    this.floors = [...hall.floors].sort((a, b) => a.elevation - b.elevation);
    this.scenes = hall.scenes.filter((s) => s.tiles);
    this.route = null;
    this.open_ = false;
    this._frame = 0;
    this.frames = 0;
    this._renderNow = this.renderNow.bind(this);
    this._onDown = this.onDown.bind(this);
    this._onUp = this.onUp.bind(this);
    this._onKey = this.onKey.bind(this);
    this._onResize = this.resize.bind(this);
  }

  destroy() {
    this.close();
    super.destroy();
  }

  /** Whether a frame is scheduled (for tests and tools). */
  get renderPending() {
    return this._frame !== 0;
  }

  /** Build the overlay, load the model and show it. Resolves when the model is in. */
  async open() {
    if (this.open_) return;
    this.open_ = true;
    const c = this.container;
    c.replaceChildren();
    c.dataset.state = 'loading';
    c.dollhouse = this; // a handle for tests and tools (project())
    this.renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.setClearColor(0xdfe4ea, 1);
    this.renderer.domElement.className = 'dollhouse-canvas';
    this.renderer.domElement.setAttribute('aria-hidden', 'true');
    this.floorSelect = el('select', { class: 'dh-floor', 'aria-label': t('dhFloor') },
      el('option', { value: 'all', text: t('dhAllFloors') }),
      this.floors.map((f) => el('option', { value: String(f.level), text: pick(f.name) || `${f.level}F` })));
    this.floorSelect.hidden = this.floors.length < 2;
    this.floorSelect.addEventListener('change', () => this.setFloor(this.floorSelect.value));
    this.backButton = el('button', { type: 'button', class: 'dh-back', text: t('dhBack'), onclick: () => this.back() });
    this.status = el('p', { class: 'dh-status', role: 'status', text: t('loading') });
    this.markerLayer = el('div', { class: 'dh-markers' });
    c.append(this.renderer.domElement, this.markerLayer,
      el('div', { class: 'dh-toolbar', role: 'group', 'aria-label': t('dhTitle') }, this.backButton, this.floorSelect), this.status);
    c.hidden = false;
    this.backButton.focus();

    this.scene3 = new Scene();
    this.scene3.background = new Color(0xdfe4ea);
    this.scene3.add(new HemisphereLight(0xffffff, 0x8a8f99, 2.2));
    const sun = new DirectionalLight(0xffffff, 1.6);
    sun.position.set(20, 40, 15);
    this.scene3.add(sun);
    this.camera = new PerspectiveCamera(50, 1, 0.1, 1000);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.maxPolarAngle = Math.PI * 0.49;
    this.controls.addEventListener('change', this._renderNowLater = () => this.requestRender());
    this.renderer.domElement.addEventListener('pointerdown', this._onDown);
    this.renderer.domElement.addEventListener('pointerup', this._onUp);
    c.addEventListener('keydown', this._onKey);
    this._observer = new ResizeObserver(this._onResize);
    this._observer.observe(c);

    try {
      const gltf = await new GLTFLoader().loadAsync(this.hall.model_url);
      if (!this.open_) { disposeObject(gltf.scene); return; }
      this.model = gltf.scene;
    } catch (error) {
      this.status.textContent = t('loadFailed');
      c.dataset.state = 'failed';
      return;
    }
    this.scene3.add(this.model);
    this.model.updateMatrixWorld(true);
    this.parts = [];
    let meshes = 0;
    this.model.traverse((node) => {
      if (node.isMesh) meshes += 1;
      if (node !== this.model && node.parent === this.model) this.parts.push({ node, minY: _box.setFromObject(node).min.y });
    });
    this.addMarkers();
    this.drawRoute();
    this.frame();
    this.status.hidden = true;
    this.setFloor(this.floorSelect.value);
    Object.assign(c.dataset, { state: 'ready', meshes: String(meshes), markers: String(this.markers.length) });
  }

  /** Put the camera above the south side of the model, looking at its centre. */
  frame() {
    const box = _box.setFromObject(this.model);
    const centre = box.getCenter(new Vector3());
    const size = box.getSize(_v).length();
    this.controls.target.copy(centre);
    this.camera.near = size / 200;
    this.camera.far = size * 10;
    this.camera.position.set(centre.x, centre.y + size * 0.55, centre.z + size * 0.6);
    this.controls.update();
    this.resize();
  }

  addMarkers() {
    this.markers = [];
    this.markerGroup = new Group();
    const geometry = new SphereGeometry(0.35, 16, 12);
    const material = new MeshBasicMaterial({ color: 0xb3261e });
    for (const scene of this.scenes) {
      const mesh = new Mesh(geometry, material);
      mesh.position.fromArray(scene.position);
      mesh.userData.scene = scene.id;
      this.markerGroup.add(mesh);
      const button = el('button', { type: 'button', class: 'dh-scene', 'data-scene': scene.id, 'aria-label': `${t('goTo')} ${pick(scene.name)}`, text: pick(scene.name),
        onclick: () => this.flyTo(scene) });
      this.markerLayer.append(button);
      this.markers.push({ scene, mesh, button });
    }
    this.scene3.add(this.markerGroup);
  }

  /** The active route (the route API's answer, or null): a red band on each leg's floor. */
  setRoute(route) {
    this.route = route;
    if (this.model) { this.drawRoute(); this.requestRender(); }
  }

  drawRoute() {
    if (this.routeGroup) { disposeObject(this.routeGroup); this.routeGroup.removeFromParent(); this.routeGroup = null; }
    if (!this.route) return;
    this.routeGroup = new Group();
    const material = new MeshStandardMaterial({ color: 0xd32f2f, emissive: 0x7a0000 });
    for (const leg of this.route.legs || []) {
      const elevation = this.floors.find((f) => f.level === leg.floor)?.elevation ?? leg.polyline[0]?.[1] ?? 0;
      for (let i = 1; i < leg.polyline.length; i += 1) {
        const [ax, , az] = leg.polyline[i - 1];
        const [bx, , bz] = leg.polyline[i];
        const length = Math.hypot(bx - ax, bz - az);
        if (length < 1e-3) continue;
        const band = new Mesh(new BoxGeometry(0.3, 0.02, length + 0.3), material);
        band.position.set((ax + bx) / 2, elevation + 0.05, (az + bz) / 2);
        band.rotation.y = Math.atan2(bx - ax, bz - az);
        band.userData.floor = leg.floor;
        this.routeGroup.add(band);
      }
    }
    this.scene3.add(this.routeGroup);
  }

  /** Show all floors ('all') or floor *level* and what is below it. */
  setFloor(value) {
    const floor = value === 'all' ? null : this.floors.find((f) => String(f.level) === String(value));
    const top = floor ? floor.elevation + ABOVE_FLOOR : Infinity;
    for (const part of this.parts || []) part.node.visible = part.minY <= top;
    for (const marker of this.markers || []) marker.mesh.visible = marker.scene.position[1] <= top;
    this.routeGroup?.children.forEach((band) => { band.visible = band.position.y <= top; });
    this.requestRender();
  }

  requestRender() {
    if (!this._frame && this.renderer) this._frame = requestAnimationFrame(this._renderNow);
  }

  renderNow() {
    this._frame = 0;
    if (!this.renderer) return;
    this.renderer.render(this.scene3, this.camera);
    this.frames += 1;
    this.container.dataset.frame = String(this.frames);
    const width = this.container.clientWidth;
    const height = this.container.clientHeight;
    for (const { mesh, button } of this.markers || []) {
      _v.copy(mesh.position).project(this.camera);
      const inside = mesh.visible && _v.z < 1 && Math.abs(_v.x) < 1.05 && Math.abs(_v.y) < 1.05;
      button.hidden = !inside;
      if (inside) button.style.transform = `translate(${(((_v.x + 1) / 2) * width).toFixed(1)}px, ${(((1 - _v.y) / 2) * height - 14).toFixed(1)}px) translate(-50%, -100%)`;
    }
  }

  resize() {
    if (!this.renderer) return;
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  /** Screen position (CSS pixels, relative to the page) of model point *p* [x, y, z]; for tests and tools. */
  project(p) {
    const rect = this.renderer.domElement.getBoundingClientRect();
    _v.fromArray(p).project(this.camera);
    return { x: rect.left + ((_v.x + 1) / 2) * rect.width, y: rect.top + ((1 - _v.y) / 2) * rect.height };
  }

  onDown(event) {
    this._down = { x: event.clientX, y: event.clientY };
  }

  onUp(event) {
    const down = this._down;
    this._down = null;
    if (!down || Math.hypot(event.clientX - down.x, event.clientY - down.y) > CLICK_SLOP || !this.model) return;
    const rect = this.renderer.domElement.getBoundingClientRect();
    _ndc.set(((event.clientX - rect.left) / rect.width) * 2 - 1, -((event.clientY - rect.top) / rect.height) * 2 + 1);
    _ray.setFromCamera(_ndc, this.camera);
    const hits = _ray.intersectObjects([this.markerGroup, this.model], true);
    for (const hit of hits) {
      if (!this.isShown(hit.object)) continue;
      if (hit.object.userData.scene) { this.flyTo(this.scenes.find((s) => s.id === hit.object.userData.scene)); return; }
      for (let node = hit.object; node; node = node.parent) {
        const name = node.userData.name || node.name; // GLTFLoader strips ':' and '/' from .name
        if (PICKABLE.test(name)) {
          this.container.dataset.picked = name;
          this.emit(HOTSPOT_SELECT, { target: name });
          return;
        }
      }
      return; // the nearest visible thing is not pickable (a wall, a floor): nothing chosen
    }
  }

  isShown(object) {
    for (let node = object; node; node = node.parent) if (!node.visible) return false;
    return true;
  }

  onKey(event) {
    if (event.key === 'Escape') { event.preventDefault(); this.back(); }
  }

  /** Fly the camera to *scene*'s eye, looking along its heading, then return to its panorama. */
  flyTo(scene) {
    if (!scene || this.flying) return;
    this.flying = true;
    const fromPos = this.camera.position.clone();
    const fromTarget = this.controls.target.clone();
    const toPos = new Vector3().fromArray(scene.position);
    const rad = (scene.heading * Math.PI) / 180;
    const toTarget = toPos.clone().add(new Vector3(Math.sin(rad), 0, -Math.cos(rad)));
    const start = performance.now();
    const reduced = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
    const step = (now) => {
      if (!this.renderer) return;
      const k = reduced ? 1 : Math.min(1, (now - start) / FLY_MS);
      const e = k * k * (3 - 2 * k);
      this.camera.position.lerpVectors(fromPos, toPos, e);
      this.controls.target.lerpVectors(fromTarget, toTarget, e);
      this.camera.lookAt(this.controls.target);
      this.renderNow();
      if (k < 1) { requestAnimationFrame(step); return; }
      this.flying = false;
      this.emit(HOTSPOT_SELECT, { target: `scene:${scene.id}` });
      this.close();
    };
    requestAnimationFrame(step);
  }

  /** Back to the panorama. */
  back() {
    this.close();
    (this.returnFocus ?? this.viewer?.container)?.focus();
  }

  /** Hide the overlay and release every GPU resource and listener. */
  close() {
    if (!this.open_) return;
    this.open_ = false;
    if (this._frame) cancelAnimationFrame(this._frame);
    this._frame = 0;
    this._observer?.disconnect();
    this.container.removeEventListener('keydown', this._onKey);
    if (this.renderer) {
      this.renderer.domElement.removeEventListener('pointerdown', this._onDown);
      this.renderer.domElement.removeEventListener('pointerup', this._onUp);
      this.controls.removeEventListener('change', this._renderNowLater);
      this.controls.dispose();
      if (this.scene3) disposeObject(this.scene3);
      this.renderer.dispose();
      this.renderer.forceContextLoss();
    }
    this.renderer = this.scene3 = this.model = this.markerGroup = this.routeGroup = this.controls = null;
    this.parts = this.markers = null;
    this.flying = false;
    this.container.replaceChildren();
    this.container.hidden = true;
    delete this.container.dataset.state;
    delete this.container.dataset.frame;
    delete this.container.dollhouse;
    this.emit(DOLLHOUSE_CLOSE);
  }
}
