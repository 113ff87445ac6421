// The 3D hall ("dollhouse"): the hall model (GLB) with orbit controls in an overlay canvas, one floor shown at a
// time (or all), every counter and facility of the shown floor pickable (the same HOTSPOT_SELECT the hotspots
// dispatch) by pointer or from a keyboard list, a label on hover and focus, a marker per panorama scene
// (choosing one flies the camera in and returns to that panorama) and the active route on each leg's floor.
// Loaded lazily (dynamic import from main.js); renders on demand (data-frame counts frames); open() builds,
// close() releases all. Plugin id 'dollhouse', drawn into its *container*; emits HOTSPOT_SELECT and
// DOLLHOUSE_CLOSE; "back" gives the focus to *returnFocus* (default: the viewer's container).
import {
  Box3, Box3Helper, BoxGeometry, Color, DirectionalLight, Group, HemisphereLight, Mesh, MeshBasicMaterial,
  MeshStandardMaterial, PerspectiveCamera, Raycaster, Scene, SphereGeometry, SRGBColorSpace, Vector2, Vector3,
  WebGLRenderer,
} from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { DOLLHOUSE_CLOSE, HOTSPOT_SELECT, LANG_CHANGE } from '../events.js';
import { i18nEvents, pick, t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { readModel } from './dollhousemodel.js';
import { Plugin } from './Plugin.js';

const FLY_MS = 600;
const CLICK_SLOP = 6; // pixels a press may move and still count as a click
const PICK_SLOP = 18; // pixels: a click this near a place's centre picks it when the ray meets only floor or nothing
const HIGHLIGHT = 0xffb300;
const WALL_OPACITY = 0.3; // walls are seen through, so nothing behind them is hidden from above
const FRAME_ASPECT = 1.6; // screens narrower than this (width / height) see the hall from further back
const LABEL_LIFT = 14; // pixels between a place's centre and the foot of its label
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

function isShown(object) {
  for (let node = object; node; node = node.parent) if (!node.visible) return false;
  return true;
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
    this.here = null; // where the reader stands (a kiosk): {floor, position: [x, z], facing}
    this.level = null; // the shown floor's level; null: all floors
    this.open_ = false;
    this._frame = 0;
    this.frames = 0;
    this._renderNow = this.renderNow.bind(this);
    this._onDown = this.onDown.bind(this);
    this._onUp = this.onUp.bind(this);
    this._onMove = this.onMove.bind(this);
    this._onLeave = () => this.setActive(null);
    this._onKey = this.onKey.bind(this);
    this._onResize = this.resize.bind(this);
    this._onLang = this.relabel.bind(this);
  }

  destroy() {
    this.close();
    super.destroy();
  }

  /** Whether the 3D view is open. */
  get isOpen() {
    return this.open_;
  }

  /** Whether a frame is scheduled (for tests and tools). */
  get renderPending() {
    return this._frame !== 0;
  }

  /** Build the overlay, load the model and show it (*floor*: the level to show, else all). Resolves when in. */
  async open({ floor = null } = {}) {
    if (this.open_) return;
    this.open_ = true;
    const c = this.container;
    c.replaceChildren();
    c.dataset.state = 'loading';
    c.dollhouse = this; // a handle for tests and tools (project(), places)
    this.renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.setClearColor(0xdfe4ea, 1);
    this.renderer.domElement.className = 'dollhouse-canvas';
    this.renderer.domElement.setAttribute('aria-hidden', 'true');
    this.floorSelect = el('select', { class: 'dh-floor' });
    this.floorSelect.hidden = this.floors.length < 2;
    this.floorSelect.addEventListener('change', () => this.setFloor(this.floorSelect.value));
    const shown = this.floors.length > 1 && this.floors.some((f) => f.level === floor) ? String(floor) : 'all';
    this.backButton = el('button', { type: 'button', class: 'dh-back', onclick: () => this.back() });
    this.placesToggle = el('button', { type: 'button', class: 'dh-places-toggle', 'aria-controls': 'dh-place-list',
      'aria-expanded': 'false', onclick: () => this.togglePlaces() });
    this.placeList = el('ul', { class: 'dh-place-list', id: 'dh-place-list', hidden: true });
    this.status = el('p', { class: 'dh-status', role: 'status', text: t('loading') });
    this.markerLayer = el('div', { class: 'dh-markers' });
    this.label = el('p', { class: 'dh-label', role: 'tooltip', hidden: true });
    this.toolbar = el('div', { class: 'dh-toolbar', role: 'group' }, this.backButton, this.floorSelect, this.placesToggle);
    c.append(this.renderer.domElement, this.markerLayer, this.label, this.toolbar,
      el('nav', { class: 'dh-places' }, this.placeList), this.status);
    this.relabel();
    this.floorSelect.value = shown;
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
    const canvas = this.renderer.domElement;
    canvas.addEventListener('pointerdown', this._onDown);
    canvas.addEventListener('pointerup', this._onUp);
    canvas.addEventListener('pointermove', this._onMove);
    canvas.addEventListener('pointerleave', this._onLeave);
    c.addEventListener('keydown', this._onKey);
    i18nEvents.addEventListener(LANG_CHANGE, this._onLang);
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
    ({ parts: this.parts, places: this.places } = readModel(this.model, this.hall, this.floors));
    this.placeOf = new Map(this.places.map((p) => [p.node, p]));
    for (const part of this.parts) if (part.walls) this.seeThrough(part.node);
    let meshes = 0;
    this.model.traverse((node) => { if (node.isMesh) meshes += 1; });
    this.highlight = new Box3Helper(new Box3(), HIGHLIGHT);
    this.highlight.visible = false;
    this.scene3.add(this.highlight);
    this.addMarkers();
    this.relabel();
    this.drawRoute();
    this.drawHere();
    this.status.hidden = true;
    this.setFloor(shown);
    Object.assign(c.dataset, { state: 'ready', meshes: String(meshes), markers: String(this.markers.length) });
  }

  /** Draw *node* see-through and let picks pass it (its material cloned: the GLB shares materials). */
  seeThrough(node) {
    node.traverse((mesh) => {
      if (!mesh.isMesh) return;
      mesh.material = Object.assign(mesh.material.clone(), { transparent: true, opacity: WALL_OPACITY, depthWrite: false });
      mesh.userData.seeThrough = true;
    });
  }

  /** Texts in the current language (on open and on a language change). */
  relabel() {
    if (!this.open_) return;
    this.backButton.textContent = t('dhBack');
    this.toolbar.setAttribute('aria-label', t('dhTitle'));
    this.floorSelect.setAttribute('aria-label', t('dhFloor'));
    const value = this.floorSelect.value;
    this.floorSelect.replaceChildren(el('option', { value: 'all', text: t('dhAllFloors') }),
      ...this.floors.map((f) => el('option', { value: String(f.level), text: this.floorName(f.level) })));
    this.floorSelect.value = value || 'all';
    this.placeList.parentElement?.setAttribute('aria-label', t('dhPlaces'));
    this.fillPlaces();
    if (this.hereLabel) this.hereLabel.textContent = t('youAreHere');
    for (const { scene, button } of this.markers || []) {
      button.firstChild.textContent = pick(scene.name);
      button.setAttribute('aria-label', `${t('goTo')} ${pick(scene.name)}`);
    }
  }

  floorName(level) {
    return pick(this.floors.find((f) => f.level === level)?.name) || `${level}F`;
  }

  /** What a place is called on its label and in the list: number, name and floor. */
  placeText(place) {
    return t(place.number ? 'dhCounterLabel' : 'dhFacilityLabel',
      { n: place.number ?? '', name: pick(place.name), floor: this.floorName(place.floor) });
  }

  /** The places of the shown floor (all floors: every place). */
  shownPlaces() {
    return (this.places || []).filter((p) => this.level === null || p.floor === this.level);
  }

  /** One button per place of the shown floor: focus or hover shows its label, Enter or a click picks it. */
  fillPlaces() {
    const places = this.shownPlaces();
    this.placesToggle.textContent = `${t('dhPlaces')} (${places.length})`;
    this.placeList.replaceChildren(...places.map((place) => {
      const button = el('button', { type: 'button', class: 'dh-place', 'data-target': place.target, text: this.placeText(place),
        onclick: () => this.select(place), onfocus: () => this.setActive(place), onblur: () => this.setActive(null),
        onmouseenter: () => this.setActive(place), onmouseleave: () => this.setActive(null) });
      return el('li', {}, button);
    }));
  }

  togglePlaces(force) {
    const show = force ?? this.placeList.hidden;
    this.placeList.hidden = !show;
    this.placesToggle.setAttribute('aria-expanded', String(show));
  }

  /**
   * Put the camera above the south side of *box* (default: the whole model), looking at its centre, far
   * enough back that a narrow (portrait) screen still shows its whole width.
   */
  frame(box = _box.setFromObject(this.model)) {
    const centre = box.getCenter(new Vector3());
    const aspect = this.container.clientWidth / Math.max(1, this.container.clientHeight);
    const size = box.getSize(_v).length() * Math.max(1, FRAME_ASPECT / (aspect || FRAME_ASPECT));
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
      // A small pin on the scene's eye: its name shows on hover and focus, so it covers no counter.
      const button = el('button', { type: 'button', class: 'dh-scene', 'data-scene': scene.id, onclick: () => this.flyTo(scene) },
        el('span', { class: 'dh-scene-name' }));
      this.markerLayer.append(button);
      this.markers.push({ scene, mesh, button });
    }
    this.scene3.add(this.markerGroup);
  }

  /** Where the reader stands ({floor, position: [x, z], facing}: a kiosk) or null: a green post with an arrow
   * the way the screen faces and a “您在这里 / You are here” label. */
  setHere(here) {
    this.here = here;
    if (this.model) { this.drawHere(); this.showFloor(); this.requestRender(); }
  }

  drawHere() {
    if (this.hereGroup) { disposeObject(this.hereGroup); this.hereGroup.removeFromParent(); this.hereGroup = null; }
    this.hereLabel?.remove();
    this.hereLabel = null;
    if (!this.here) return;
    const [x, z] = this.here.position;
    const elevation = this.floors.find((f) => f.level === this.here.floor)?.elevation ?? 0;
    const material = new MeshBasicMaterial({ color: 0x0b7a3e });
    const post = new Mesh(new BoxGeometry(0.5, 1.6, 0.5), material);
    post.position.set(0, 0.8, 0);
    // The arrow lies along local −z, turned to the bearing (clockwise from north, −z): rotation.y = −bearing.
    const arrow = new Mesh(new BoxGeometry(0.3, 0.05, 1.6), material);
    arrow.position.set(0, 0.06, -1.1);
    this.hereGroup = new Group();
    this.hereGroup.add(post, arrow);
    this.hereGroup.position.set(x, elevation, z);
    this.hereGroup.rotation.y = (-Number(this.here.facing) * Math.PI) / 180;
    this.hereGroup.userData.floor = this.here.floor;
    this.scene3.add(this.hereGroup);
    this.hereLabel = el('p', { class: 'dh-here', 'data-facing': String(this.here.facing), text: t('youAreHere') });
    this.markerLayer.append(this.hereLabel);
  }

  /** The active route (the route API's answer, or null): a red band on each leg's floor. */
  setRoute(route) {
    this.route = route;
    if (this.model) { this.drawRoute(); this.showFloor(); this.requestRender(); }
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

  /** Show all floors ('all') or only floor *value* (a level): its parts, scene markers, route and places. */
  setFloor(value) {
    const floor = this.floors.find((f) => String(f.level) === String(value));
    this.level = floor ? floor.level : null;
    this.container.dataset.floor = floor ? String(floor.level) : 'all';
    if (!this.model) return;
    this.showFloor();
    this.setActive(null);
    this.fillPlaces();
    // Frame what stands on the floor alone (a lift shaft serving every floor would pull the view up).
    _box.makeEmpty();
    for (const part of this.parts) if (part.node.visible && (!floor || part.floors.size === 1)) _box.expandByObject(part.node);
    this.frame(_box.isEmpty() ? undefined : _box.clone());
  }

  /** Show the parts, scene markers and route bands of the shown floor (all of them for all floors). */
  showFloor() {
    const shows = (level) => this.level === null || level === this.level;
    for (const part of this.parts) part.node.visible = [...part.floors].some(shows);
    for (const marker of this.markers) marker.mesh.visible = shows(marker.scene.floor);
    this.routeGroup?.children.forEach((band) => { band.visible = shows(band.userData.floor); });
    if (this.hereGroup) this.hereGroup.visible = shows(this.hereGroup.userData.floor);
  }

  /** Highlight *place* (or nothing) with a box and its label. */
  setActive(place) {
    if (this.active === place) return;
    this.active = place;
    if (!this.highlight) return;
    this.highlight.visible = Boolean(place);
    if (place) {
      this.highlight.box.setFromObject(place.node);
      this.label.textContent = this.placeText(place);
    }
    this.label.hidden = !place;
    this.container.dataset.active = place?.target ?? '';
    this.renderer.domElement.style.cursor = place ? 'pointer' : '';
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
    const at = (p, lift, shift) => `translate(${(((_v.fromArray(p).project(this.camera).x + 1) / 2) * width).toFixed(1)}px, ${(((1 - _v.y) / 2) * height - lift).toFixed(1)}px) translate(-50%, ${shift})`;
    for (const { mesh, button } of this.markers || []) {
      _v.copy(mesh.position).project(this.camera);
      const inside = mesh.visible && _v.z < 1 && Math.abs(_v.x) < 1.05 && Math.abs(_v.y) < 1.05;
      button.hidden = !inside;
      if (inside) button.style.transform = at(mesh.position.toArray(), 0, '-50%');
    }
    if (this.active) this.label.style.transform = at(this.active.anchor, LABEL_LIFT, '-100%');
    if (this.hereLabel) {
      const top = [this.hereGroup.position.x, this.hereGroup.position.y + 1.8, this.hereGroup.position.z];
      this.hereLabel.hidden = !this.hereGroup.visible;
      this.hereLabel.style.transform = at(top, 0, '-100%');
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

  /**
   * What is under the pointer at (*x*, *y*) (client pixels): {scene} for a scene marker, {place} for a
   * counter or facility of the shown floor (the nearest thing the ray meets, walls seen through; or a place
   * whose centre is within PICK_SLOP when the ray meets only floor or nothing), else null.
   */
  pickAt(x, y) {
    const rect = this.renderer.domElement.getBoundingClientRect();
    _ndc.set(((x - rect.left) / rect.width) * 2 - 1, -((y - rect.top) / rect.height) * 2 + 1);
    _ray.setFromCamera(_ndc, this.camera);
    const hit = _ray.intersectObjects([this.markerGroup, this.model], true).find((h) => isShown(h.object) && !h.object.userData.seeThrough);
    if (hit?.object.userData.scene) return { scene: this.scenes.find((s) => s.id === hit.object.userData.scene) };
    for (let node = hit?.object; node; node = node.parent) if (this.placeOf.has(node)) return { place: this.placeOf.get(node) };
    let best = null;
    let bestDistance = PICK_SLOP;
    for (const place of this.shownPlaces()) {
      const p = this.project(place.anchor);
      const distance = Math.hypot(p.x - x, p.y - y);
      if (distance <= bestDistance) { best = place; bestDistance = distance; }
    }
    return best && { place: best };
  }

  onDown(event) {
    this._down = { x: event.clientX, y: event.clientY };
  }

  onUp(event) {
    const down = this._down;
    this._down = null;
    if (!down || Math.hypot(event.clientX - down.x, event.clientY - down.y) > CLICK_SLOP || !this.model) return;
    const found = this.pickAt(event.clientX, event.clientY);
    if (found?.scene) this.flyTo(found.scene);
    else if (found?.place) this.select(found.place);
  }

  /** A label for what the pointer is over (not while dragging). */
  onMove(event) {
    if (event.buttons || !this.model || this.flying) return;
    this.setActive(this.pickAt(event.clientX, event.clientY)?.place ?? null);
  }

  select(place) {
    this.container.dataset.picked = place.target;
    this.emit(HOTSPOT_SELECT, { target: place.target });
  }

  onKey(event) {
    if (event.key === 'Escape') { event.preventDefault(); this.back(); }
  }

  /** Fly the camera to *scene*'s eye, looking along its heading, then return to its panorama. */
  flyTo(scene) {
    if (!scene || this.flying) return;
    this.flying = true;
    this.setActive(null);
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
    i18nEvents.removeEventListener(LANG_CHANGE, this._onLang);
    if (this.renderer) {
      const canvas = this.renderer.domElement;
      canvas.removeEventListener('pointerdown', this._onDown);
      canvas.removeEventListener('pointerup', this._onUp);
      canvas.removeEventListener('pointermove', this._onMove);
      canvas.removeEventListener('pointerleave', this._onLeave);
      this.controls.removeEventListener('change', this._renderNowLater);
      this.controls.dispose();
      if (this.scene3) disposeObject(this.scene3);
      this.renderer.dispose();
      this.renderer.forceContextLoss();
    }
    this.renderer = this.scene3 = this.model = this.markerGroup = this.routeGroup = this.hereGroup = this.hereLabel = this.controls = this.highlight = null;
    this.parts = this.places = this.placeOf = this.markers = this.active = null;
    this.flying = false;
    this.container.replaceChildren();
    this.container.hidden = true;
    for (const key of ['state', 'frame', 'floor', 'active', 'picked']) delete this.container.dataset[key];
    delete this.container.dollhouse;
    this.emit(DOLLHOUSE_CLOSE);
  }
}
