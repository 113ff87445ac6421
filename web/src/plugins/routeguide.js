// The active route in the panoramas: in each scene, either an arrow button towards the linked scene that
// lies along the route ahead, or — once the target counter is in sight — that counter's hotspot highlighted;
// and a bar that names the route with an “结束导航 / End route” button. Plan coordinates are (x, z) in
// metres, as the route API's polylines ([x, y, z]) and the scenes' positions. Plugin id 'route-guide': it follows
// SCENE_CHANGE and the language, sets its cue on the 'hotspots' plugin when there is one, and emits ROUTE_END.
import { LANG_CHANGE, ROUTE_END, SCENE_CHANGE } from '../events.js';
import { i18nEvents, pick, t } from '../i18n.js';
import { Plugin } from './Plugin.js';

const AHEAD_M = 8; // the point of the route this far ahead of here decides the next scene
const NEAR_M = 12; // a counter hotspot nearer than this is in sight: highlight it rather than point onwards

function planPoints(route, floor) {
  const legs = route.legs.filter((leg) => leg.floor === floor);
  return (legs.length ? legs : route.legs).flatMap((leg) => leg.polyline.map(([x, , z]) => [x, z]));
}

/** The point *ahead* metres along polyline *points* from the polyline's point nearest to *from*. */
export function pointAhead(points, [fx, fz], ahead = AHEAD_M) {
  if (points.length < 2) return points[0] || [fx, fz];
  let best = { d: Infinity, seg: 0, x: points[0][0], z: points[0][1] };
  for (let i = 0; i < points.length - 1; i++) {
    const [ax, az] = points[i];
    const [bx, bz] = points[i + 1];
    const len2 = (bx - ax) ** 2 + (bz - az) ** 2 || 1;
    const k = Math.min(1, Math.max(0, ((fx - ax) * (bx - ax) + (fz - az) * (bz - az)) / len2));
    const x = ax + k * (bx - ax);
    const z = az + k * (bz - az);
    const d = Math.hypot(fx - x, fz - z);
    if (d < best.d) best = { d, seg: i, x, z };
  }
  let { x, z } = best;
  let left = ahead;
  for (let i = best.seg + 1; i < points.length; i++) {
    const [bx, bz] = points[i];
    const len = Math.hypot(bx - x, bz - z);
    if (len >= left) return [x + ((bx - x) * left) / len, z + ((bz - z) * left) / len];
    left -= len;
    x = bx;
    z = bz;
  }
  return [x, z];
}

/** The cue for *scene* on *route* to counter *counter*: {counter}, {scene: id} or null. */
export function guideFor(route, counter, scene, scenes) {
  const spot = scene.hotspots?.find((h) => h.target === `counter:${counter}`);
  const links = (scene.links || []).map((id) => scenes.get(id))
    .filter((s) => s?.position && scene.hotspots?.some((h) => h.target === `scene:${s.id}`));
  if (spot && (!(spot.distance > NEAR_M) || !links.length || !scene.position)) return { counter };
  if (!links.length || !scene.position) return null;
  const [ax, az] = pointAhead(planPoints(route, scene.floor), [scene.position[0], scene.position[2]]);
  const away = (s) => Math.hypot(s.position[0] - ax, s.position[2] - az);
  const next = links.reduce((a, b) => (away(b) < away(a) ? b : a));
  if (spot && away(scene) <= away(next)) return { counter }; // no linked scene brings us nearer
  return { scene: next.id };
}

export class RouteGuide extends Plugin {
  static id = 'route-guide';

  /** *bar*: the route bar, holding a .route-label and the end button. */
  constructor({ bar, hall }) {
    super();
    this.bar = bar;
    this.label = bar.querySelector('.route-label');
    this.endButton = bar.querySelector('button');
    this.scenes = new Map(hall.scenes.filter((s) => s.tiles).map((s) => [s.id, s]));
    this.route = null;
    this.counter = null;
    this.scene = null;
  }

  init(viewer) {
    super.init(viewer);
    this.scene = viewer.getScene();
    this.listen(this.endButton, 'click', () => this.end());
    this.listen(viewer, SCENE_CHANGE, (e) => this.setScene(e.detail.scene));
    this.listen(i18nEvents, LANG_CHANGE, () => this.update());
    this.update();
  }

  destroy() {
    this.setRoute(null);
    this.bar.dataset.guide = '';
    super.destroy();
  }

  /** The route API's answer towards counter *counter*, or null to clear. */
  setRoute(route, counter = null) {
    this.route = route;
    this.counter = route ? counter : null;
    this.update();
  }

  setScene(scene) {
    this.scene = scene;
    this.update();
  }

  /** Re-decide the cue (after a move, a new route or a language switch). */
  update() {
    this.bar.hidden = !this.route;
    this.label.textContent = this.route ? t('routeTo', { n: this.counter }) : '';
    this.endButton.textContent = t('endRoute');
    let guide = this.route && this.scene ? guideFor(this.route, this.counter, this.scene, this.scenes) : null;
    if (guide?.scene) guide = { ...guide, label: t('routeGo', { name: pick(this.scenes.get(guide.scene).name) }) };
    this.bar.dataset.guide = guide ? (guide.scene ? `scene:${guide.scene}` : `counter:${guide.counter}`) : '';
    this.viewer?.getPlugin('hotspots')?.setGuide(guide);
  }

  end() {
    this.setRoute(null);
    this.emit(ROUTE_END);
  }
}
