// Immersive VR (WebXR) for the tour, loaded on demand: the panorama around the user, hotspots as 3D labels
// selectable by controller ray ('select') or by gaze (a reticle that dwells), scene jumps, and a floating
// counter panel drawn on a canvas. Plugin id 'xr' (loaded lazily by the page): during a session it owns the
// viewer's render loop (viewer.setLoop), and the viewer renders every frame; outside one the viewer goes back to
// rendering on demand. It follows SCENE_CHANGE and emits HOTSPOT_SELECT and XR_END.
//
// Positions follow Viewer.js: directionOf(yaw, pitch) in viewer space; the user stands at the origin.
import {
  CanvasTexture, Group, Line, BufferGeometry, LineBasicMaterial, Matrix4, Mesh, MeshBasicMaterial, PlaneGeometry,
  Raycaster, RingGeometry, SRGBColorSpace, Vector3,
} from 'three';
import { HOTSPOT_SELECT, SCENE_CHANGE, XR_END } from '../events.js';
import { pick, statusLabel, t } from '../i18n.js';
import { getJSON } from '../ui/dom.js';
import { directionOf } from '../viewer/Viewer.js';
import { Plugin } from './Plugin.js';

const HOTSPOT_DISTANCE = 8; // inside the tile cube (half side 10)
const PANEL_DISTANCE = 5;
const DWELL_MS = 1500; // gaze selection
const RAY_LENGTH = 20;
const ON_TOP = 1000; // render order above every tile level
const MAX_SERVICES = 5;

const _matrix = new Matrix4();
const _origin = new Vector3();
const _direction = new Vector3();

/** A canvas of *width*×*height* with a 2D context, and a texture made from it. */
function canvasTexture(width, height) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const texture = new CanvasTexture(canvas);
  texture.colorSpace = SRGBColorSpace;
  return { canvas, ctx: canvas.getContext('2d'), texture };
}

/** A plane of *w*×*h* viewer units showing *texture*, drawn over the panorama. */
function labelMesh(texture, w, h) {
  const material = new MeshBasicMaterial({ map: texture, transparent: true, depthTest: false, depthWrite: false });
  const mesh = new Mesh(new PlaneGeometry(w, h), material);
  mesh.renderOrder = ON_TOP;
  return mesh;
}

function disposeTree(root) {
  root.traverse((node) => {
    node.geometry?.dispose();
    node.material?.map?.dispose();
    node.material?.dispose();
  });
}

export class XRPlugin extends Plugin {
  static id = 'xr';

  constructor({ hall }) {
    super();
    this.counters = new Map(hall.counters.map((c) => [c.number, c]));
    this.scenes = new Map(hall.scenes.map((s) => [s.id, s]));
    this.hall = hall;
    this.session = null;
    this.lastSelected = null;
    this.frames = 0;
    this.raycaster = new Raycaster();
    this._onFrame = this.onFrame.bind(this);
    this._onEnd = this.onEnd.bind(this);
    this._onSelect = this.onSelect.bind(this);
    this._onConnected = this.onConnected.bind(this);
    this._onDisconnected = this.onDisconnected.bind(this);
  }

  init(viewer) {
    super.init(viewer);
    this.renderer = viewer.renderer;
    this.listen(viewer, SCENE_CHANGE, (e) => { if (this.session) this.setScene(e.detail.scene); });
  }

  /** Start an immersive-vr session showing the viewer's scene; resolves once the session runs. */
  async enter() {
    if (this.session) return;
    const session = await navigator.xr.requestSession('immersive-vr', { optionalFeatures: ['local-floor'] });
    this.renderer.xr.enabled = true;
    this.renderer.xr.setReferenceSpaceType('local');
    try {
      await this.renderer.xr.setSession(session);
    } catch (error) {
      this.renderer.xr.enabled = false;
      await session.end().catch(() => {});
      throw error;
    }
    this.session = session;
    session.addEventListener('end', this._onEnd);
    this.build();
    this.setScene(this.viewer.getScene());
    this.viewer.setLoop(this._onFrame); // the XR loop renders every frame meanwhile
  }

  /** End the session (the 'end' handler restores the page viewer). */
  async exit() {
    await this.session?.end();
  }

  destroy() {
    const session = this.session;
    if (session) {
      this.onEnd(); // now, while the viewer is there: the session's 'end' comes later
      session.end().catch(() => {});
    }
    super.destroy();
  }

  build() {
    const { camera, scene3 } = this.viewer;
    this.dolly = new Group(); // the user's place: the camera and controllers move inside it
    this.dolly.rotation.y = -(this.viewer.getView().yaw * Math.PI) / 180; // start facing the page's view
    this.dolly.add(camera);
    this.spots = new Group(); // in the panorama's frame, not the user's
    scene3.add(this.dolly, this.spots);
    this.reticle = new Mesh(new RingGeometry(0.02, 0.035, 32), new MeshBasicMaterial({ color: 0xffffff, depthTest: false, transparent: true }));
    this.reticle.position.set(0, 0, -1);
    this.reticle.renderOrder = ON_TOP + 2;
    camera.add(this.reticle);
    this.controllers = [0, 1].map((i) => {
      const controller = this.renderer.xr.getController(i);
      const ray = new Line(new BufferGeometry().setFromPoints([new Vector3(), new Vector3(0, 0, -RAY_LENGTH)]), new LineBasicMaterial({ color: 0xffbf00, depthTest: false }));
      ray.renderOrder = ON_TOP + 2;
      controller.add(ray);
      controller.addEventListener('select', this._onSelect);
      controller.addEventListener('connected', this._onConnected);
      controller.addEventListener('disconnected', this._onDisconnected);
      this.dolly.add(controller);
      return controller;
    });
    this.pointers = 0;
    this.gaze = { target: null, since: 0 };
  }

  /** Show *scene*'s hotspots as labels around the user (scene links and counters). */
  setScene(scene) {
    this.closePanel();
    for (const child of [...this.spots.children]) {
      this.spots.remove(child);
      disposeTree(child);
    }
    for (const spot of scene?.hotspots || []) {
      const [kind, key] = spot.target.split(':');
      let lines = null;
      if (kind === 'counter' && this.counters.has(key)) {
        const counter = this.counters.get(key);
        lines = [counter.number, pick(counter.department?.name) || pick(counter.name)];
      } else if (kind === 'scene' && this.scenes.get(key)?.tiles) {
        lines = [`➜ ${pick(this.scenes.get(key).name)}`, t('goTo')];
      }
      if (!lines) continue;
      const { ctx, texture } = canvasTexture(256, 128);
      ctx.fillStyle = kind === 'scene' ? 'rgba(255,255,255,0.92)' : 'rgba(11,92,173,0.92)';
      ctx.fillRect(0, 0, 256, 128);
      ctx.fillStyle = kind === 'scene' ? '#0b3d75' : '#ffffff';
      ctx.textAlign = 'center';
      ctx.font = 'bold 48px sans-serif';
      ctx.fillText(lines[0], 128, 58, 240);
      ctx.font = '28px sans-serif';
      ctx.fillText(lines[1], 128, 104, 240);
      const mesh = labelMesh(texture, 1.2, 0.6);
      directionOf(spot.yaw, spot.pitch, mesh.position).multiplyScalar(HOTSPOT_DISTANCE);
      mesh.lookAt(0, 0, 0);
      mesh.name = spot.target;
      mesh.userData.target = spot.target;
      this.spots.add(mesh);
    }
  }

  /** The hotspot (or the open panel) hit by a ray from *origin* along *direction*, in world space. */
  hitTest(origin, direction) {
    this.raycaster.set(origin, direction);
    const objects = this.panel ? [...this.spots.children, this.panel] : this.spots.children;
    return this.raycaster.intersectObjects(objects, false)[0]?.object || null;
  }

  onSelect(event) {
    const controller = event.target;
    _matrix.identity().extractRotation(controller.matrixWorld);
    _origin.setFromMatrixPosition(controller.matrixWorld);
    _direction.set(0, 0, -1).applyMatrix4(_matrix);
    const hit = this.hitTest(_origin, _direction);
    if (hit) this.activate(hit);
  }

  /** Select a hit object: a counter opens the floating panel, a scene link jumps, the panel closes. */
  activate(object) {
    if (object === this.panel) { this.closePanel(); return; }
    const target = object.userData.target;
    this.lastSelected = target;
    const [kind, key] = target.split(':');
    this.emit(HOTSPOT_SELECT, { target }); // a scene link: the page moves the viewer, SCENE_CHANGE relabels
    if (kind === 'counter') this.openPanel(key, object.position);
  }

  onConnected(event) {
    if (event.data?.targetRayMode === 'tracked-pointer') this.pointers++;
    this.reticle.visible = this.pointers === 0;
  }

  onDisconnected() {
    this.pointers = Math.max(0, this.pointers - 1);
    this.reticle.visible = this.pointers === 0;
  }

  /** Gaze selection where there is no controller: hold the reticle on a hotspot for DWELL_MS. */
  updateGaze(time) {
    if (this.pointers > 0) return;
    const { camera } = this.viewer;
    camera.getWorldPosition(_origin);
    camera.getWorldDirection(_direction);
    const hit = this.hitTest(_origin, _direction);
    if (hit !== this.gaze.target) this.gaze = { target: hit, since: time };
    const progress = hit ? Math.min(1, (time - this.gaze.since) / DWELL_MS) : 0;
    this.reticle.scale.setScalar(1 + progress);
    this.reticle.material.color.setHex(hit ? 0xffbf00 : 0xffffff);
    if (hit && progress >= 1) {
      this.gaze.since = Infinity; // once per dwell
      this.activate(hit);
    }
  }

  /** Counter *number*'s floating panel: number, name, department, status and its first services. */
  async openPanel(number, near) {
    const counter = this.counters.get(number);
    const services = await getJSON(`/api/v1/halls/${this.hall.slug}/counters/${encodeURIComponent(number)}`)
      .then((doc) => doc.services || [], () => []); // without them the panel still shows the hall document's facts
    if (!this.session) return;
    this.closePanel();
    const { canvas, ctx, texture } = canvasTexture(1024, 640);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#b3261e';
    ctx.fillRect(0, 0, canvas.width, 110);
    ctx.fillStyle = '#ffffff';
    ctx.font = 'bold 60px sans-serif';
    ctx.fillText(`${counter.number} ${pick(counter.name)}`, 36, 78, 950);
    ctx.fillStyle = '#1b2430';
    ctx.font = '40px sans-serif';
    ctx.fillText(`${t('department')}：${pick(counter.department?.name)}`, 36, 170, 950);
    const open = counter.status === 'open';
    ctx.fillStyle = open ? '#1d7a3a' : '#a33a00';
    ctx.fillText(statusLabel(counter.status), 36, 225, 950);
    ctx.fillStyle = '#1b2430';
    ctx.font = 'bold 40px sans-serif';
    ctx.fillText(t('services'), 36, 290);
    ctx.font = '36px sans-serif';
    services.slice(0, MAX_SERVICES).forEach((s, i) => ctx.fillText(`· ${pick(s.name)}`, 56, 345 + i * 52, 930));
    if (!services.length) ctx.fillText(t('noServices'), 56, 345, 930);
    ctx.fillStyle = '#5b6675';
    ctx.font = '28px sans-serif';
    ctx.fillText(t('close'), 36, 615);
    this.panel = labelMesh(texture, 3.2, 2);
    this.panel.renderOrder = ON_TOP + 1;
    this.panel.position.copy(near).setLength(PANEL_DISTANCE);
    this.panel.position.y -= 0.4;
    this.panel.lookAt(0, 0, 0);
    this.panel.name = `panel:${number}`;
    this.panel.userData.counter = number;
    this.spots.parent.add(this.panel);
  }

  closePanel() {
    if (!this.panel) return;
    this.panel.removeFromParent();
    disposeTree(this.panel);
    this.panel = null;
  }

  /** Before each XR frame (the viewer then renders it and dispatches RENDER: tiles follow the view). */
  onFrame(time) {
    this.frames++;
    this.updateGaze(time);
  }

  /** Session over: stop the loop, release the 3D objects and go back to rendering on demand. */
  onEnd() {
    const { camera } = this.viewer;
    this.session.removeEventListener('end', this._onEnd);
    this.session = null;
    this.renderer.xr.enabled = false;
    this.closePanel();
    for (const controller of this.controllers) {
      controller.removeEventListener('select', this._onSelect);
      controller.removeEventListener('connected', this._onConnected);
      controller.removeEventListener('disconnected', this._onDisconnected);
      for (const child of [...controller.children]) { controller.remove(child); disposeTree(child); }
      controller.removeFromParent();
    }
    camera.remove(this.reticle);
    disposeTree(this.reticle);
    disposeTree(this.spots);
    this.dolly.remove(camera);
    this.viewer.scene3.remove(this.dolly, this.spots);
    camera.position.set(0, 0, 0);
    camera.quaternion.identity();
    camera.rotation.order = 'YXZ';
    this.viewer.setLoop(null); // back to rendering on demand
    this.emit(XR_END);
  }
}
