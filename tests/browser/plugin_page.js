// A page that composes the viewer with a plugin set and no tour (for test_plugins.py, which bundles this file
// with esbuild and serves it). It counts live event listeners, logs every texture request in call order, and
// with ?hold=1 holds tile requests until window.__release().
import { TextureLoader } from 'three';
import { SCENE_CHANGE } from '../../web/src/events.js';
import { HotspotsPlugin } from '../../web/src/plugins/hotspots.js';
import { Minimap } from '../../web/src/plugins/minimap.js';
import { RouteGuide } from '../../web/src/plugins/routeguide.js';
import { Controls } from '../../web/src/viewer/controls.js';
import { CubeTiles } from '../../web/src/viewer/CubeTiles.js';
import { Viewer } from '../../web/src/viewer/Viewer.js';

// Live listeners on every EventTarget but images (the loader's own, while a request runs), the window and the
// document (Playwright's own checks add some there; the plugins composed here add none).
const live = [];
const { addEventListener: add, removeEventListener: remove } = EventTarget.prototype;
const capture = (options) => (typeof options === 'boolean' ? options : Boolean(options?.capture));
const index = (target, type, handler, options) => live.findIndex((e) => e[0] === target && e[1] === type && e[2] === handler && e[3] === capture(options));
EventTarget.prototype.addEventListener = function (type, handler, options) {
  if (handler && !(this instanceof HTMLImageElement || this === window || this === document) && index(this, type, handler, options) === -1) live.push([this, type, handler, capture(options)]);
  return add.call(this, type, handler, options);
};
EventTarget.prototype.removeEventListener = function (type, handler, options) {
  const i = index(this, type, handler, options);
  if (i !== -1) live.splice(i, 1);
  return remove.call(this, type, handler, options);
};
window.__listeners = () => live.length;
window.__listenerList = () => live.map(([t, type]) => `${t.constructor.name}#${t.id || ''}.${t.className || ''}:${type}`);

// Every texture request in call order; tiles and fallback faces held while window.__hold.
const load = TextureLoader.prototype.load;
window.__requested = [];
window.__held = [];
window.__hold = new URLSearchParams(location.search).has('hold');
TextureLoader.prototype.load = function (url, ...rest) {
  window.__requested.push(url);
  if (window.__hold && /\/(\d+\/[frblud]\d+_\d+|fallback\/[frblud])\.\w+$/.test(url)) {
    window.__held.push(() => load.call(this, url, ...rest));
    return null;
  }
  return load.call(this, url, ...rest);
};
window.__release = () => {
  window.__hold = false;
  for (const start of window.__held.splice(0)) start();
};

const hall = await (await fetch('/api/v1/halls/pingnan')).json();
const $ = (id) => document.getElementById(id);
const viewer = new Viewer($('viewer'), { yaw: 90, pitch: 0, fov: 75 });
window.__sceneChanges = [];
viewer.addEventListener(SCENE_CHANGE, (e) => window.__sceneChanges.push([e.detail.scene?.id ?? null, e.detail.previous?.id ?? null]));
viewer.use(new CubeTiles());
viewer.use(new Controls({ buttons: null }));
viewer.use(new HotspotsPlugin({ layer: $('hotspots'), hall }));
viewer.use(new RouteGuide({ bar: $('route-bar'), hall }));
viewer.use(new Minimap({ container: $('minimap'), hall }));
window.__viewer = viewer;
window.__hall = hall;
window.__HotspotsPlugin = HotspotsPlugin;
viewer.setScene(hall.scenes.find((s) => s.id === 'entrance'));
document.body.dataset.ready = 'yes';
