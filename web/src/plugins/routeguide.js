// The active route in the panoramas (plugin id 'route-guide'). The server plans which scenes the route
// passes (the route API's `scenes`, linked one to the next) and how the last one is looked at (`arrival`);
// this plugin follows that plan: in each scene on the way, one arrow towards the next scene (and, when it
// is off screen, an edge marker pointing to it — both buttons marked data-route="next"), the view turned to
// face it on arrival; in the last scene the view turns to the target and its hotspot is highlighted
// (data-route="target"). A scene off the plan (the citizen went elsewhere) asks the page to re-plan from
// there (ROUTE_REPLAN). The route bar says step n of N, the distance left and the next instruction.
// Plan coordinates are (x, z) in metres, as the route's polylines ([x, y, z]) and the scenes' positions.
import { LANG_CHANGE, ROUTE_END, ROUTE_REPLAN, SCENE_CHANGE } from '../events.js';
import { i18nEvents, pick, t } from '../i18n.js';
import { Plugin } from './Plugin.js';

const TURN_MS = 600; // the turn towards the next arrow or the target on arrival in a scene

/** Metres left to walk on *route* from a point at plan (x, z) on *floor*: from the nearest point of that
 * floor's legs to their end, plus every later leg. */
export function remainingMetres(route, floor, [x, z]) {
  const legs = route.legs || [];
  const length = (pts) => pts.slice(1).reduce((sum, p, i) => sum + Math.hypot(p[0] - pts[i][0], p[2] - pts[i][2]), 0);
  let best = null;
  legs.forEach((leg, index) => {
    if (leg.floor !== floor) return;
    const pts = leg.polyline;
    for (let i = 0; i < pts.length - 1; i++) {
      const [ax, , az] = pts[i];
      const [bx, , bz] = pts[i + 1];
      const len2 = (bx - ax) ** 2 + (bz - az) ** 2 || 1;
      const k = Math.min(1, Math.max(0, ((x - ax) * (bx - ax) + (z - az) * (bz - az)) / len2));
      const d = Math.hypot(x - (ax + k * (bx - ax)), z - (az + k * (bz - az)));
      if (!best || d < best.d) best = { d, index, seg: i, k };
    }
  });
  if (!best) return route.length_m;
  const leg = legs[best.index].polyline;
  const [ax, , az] = leg[best.seg];
  const [bx, , bz] = leg[best.seg + 1];
  let metres = (1 - best.k) * Math.hypot(bx - ax, bz - az) + length(leg.slice(best.seg + 1));
  for (const later of legs.slice(best.index + 1)) metres += length(later.polyline);
  return metres;
}

/** The display name {zh, en} of place *key* (counter:B03, facility:<id>, scene:<id>) in *hall*. */
export function placeName(hall, key) {
  const [kind, id] = (key || '').split(':');
  const both = (k, vars = {}) => ({ zh: t(k, vars, 'zh'), en: t(k, vars, 'en') });
  if (kind === 'counter') return both('counterPlace', { n: id });
  const found = kind === 'facility' ? hall.facilities?.find((f) => f.id === id) : hall.scenes?.find((s) => s.id === id);
  return found?.name || both('destination');
}

export class RouteGuide extends Plugin {
  static id = 'route-guide';

  /** *bar*: the route bar, holding a .route-label, a .route-next and the end button (#end-route). */
  constructor({ bar, hall }) {
    super();
    this.bar = bar;
    this.label = bar.querySelector('.route-label');
    this.next = bar.querySelector('.route-next');
    this.endButton = bar.querySelector('#end-route');
    this.scenes = new Map(hall.scenes.filter((s) => s.tiles).map((s) => [s.id, s]));
    this.floors = new Map((hall.floors || []).map((f) => [f.level, f]));
    this.hall = hall;
    this.route = null;
    this.scene = null;
  }

  init(viewer) {
    super.init(viewer);
    this.scene = viewer.getScene();
    this.listen(this.endButton, 'click', () => this.end());
    this.listen(viewer, SCENE_CHANGE, (e) => this.setScene(e.detail.scene, { arriving: true }));
    this.listen(i18nEvents, LANG_CHANGE, () => this.update());
    this.update();
  }

  destroy() {
    this.setRoute(null);
    this.bar.dataset.guide = '';
    super.destroy();
  }

  /** The route API's answer (with `scenes` and `arrival`), or null to clear. The view turns as on arrival. */
  setRoute(route) {
    this.route = route;
    this.update({ arriving: true });
  }

  setScene(scene, { arriving = false } = {}) {
    this.scene = scene;
    this.update({ arriving });
  }

  /** Where this scene stands on the plan: its index in the route's scenes, or −1 when off the plan. */
  position() {
    return this.route && this.scene ? this.route.scenes.indexOf(this.scene.id) : -1;
  }

  /** Re-decide the cue (after a move, a new route or a language switch); *arriving* turns the view. */
  update({ arriving = false } = {}) {
    const route = this.route;
    this.bar.hidden = !route;
    this.endButton.textContent = t('endRoute');
    const hotspots = this.viewer?.getPlugin('hotspots');
    if (!route || !this.scene) {
      this.label.textContent = '';
      this.next.textContent = '';
      this.bar.dataset.guide = '';
      hotspots?.setGuide(null);
      return;
    }
    const index = this.position();
    if (index < 0) {
      // Off the plan: keep nothing stale on screen, and ask for a plan from here.
      hotspots?.setGuide(null);
      this.bar.dataset.guide = '';
      this.emit(ROUTE_REPLAN, { from: `scene:${this.scene.id}` });
      return;
    }
    const total = route.scenes.length;
    const last = index === total - 1;
    const name = pick(placeName(this.hall, route.to));
    this.bar.dataset.step = String(index + 1);
    this.bar.dataset.total = String(total);
    const metres = Math.round(remainingMetres(route, this.scene.floor, [this.scene.position[0], this.scene.position[2]]));
    this.label.textContent = `${t('routeTo', { name })} · ${t('routeStep', { n: index + 1, total })} · ${t('routeLeft', { m: metres })}`;
    let guide;
    if (last) {
      guide = { target: route.to };
      const arrival = route.arrival;
      const said = arrival && !arrival.visible && arrival.where ? pick(arrival.where) : t('routeArrived', { name });
      this.next.textContent = said.charAt(0).toUpperCase() + said.slice(1); // English opens with a capital
      if (arrival && arrival.scene === this.scene.id && arriving) {
        this.turn({ yaw: arrival.yaw, pitch: arrival.pitch, fov: arrival.fov });
      }
    } else {
      const nextScene = this.scenes.get(route.scenes[index + 1]);
      guide = { scene: nextScene.id, label: t('routeGo', { name: pick(nextScene.name) }) };
      this.next.textContent = this.instruction(nextScene);
      const spot = this.scene.hotspots?.find((h) => h.target === `scene:${nextScene.id}`);
      if (spot && arriving) this.turn({ yaw: spot.yaw, pitch: Math.max(-20, Math.min(10, spot.pitch)) });
    }
    this.bar.dataset.guide = guide.scene ? `scene:${guide.scene}` : guide.target;
    hotspots?.setGuide(guide);
  }

  /** The next instruction towards *nextScene*: a floor change ("乘电梯到2楼") or "go to <scene>". */
  instruction(nextScene) {
    if (nextScene.floor !== this.scene.floor) {
      const change = (this.route.floor_changes || []).find((c) => c.from_floor === this.scene.floor && c.to_floor === nextScene.floor)
        || { type: 'lift', to_floor: nextScene.floor };
      const floor = pick(this.floors.get(change.to_floor)?.name) || String(change.to_floor);
      const up = change.to_floor > change.from_floor;
      const key = { lift: 'takeLift', escalator: up ? 'escalatorUp' : 'escalatorDown', stairs: up ? 'stairsUp' : 'stairsDown' }[change.type] || 'takeLift';
      return t(key, { floor });
    }
    return t('routeGo', { name: pick(nextScene.name) });
  }

  /** Turn the view to *view*: briefly, or at once for people who asked for reduced motion. */
  turn(view) {
    const viewer = this.viewer;
    if (!viewer) return;
    const current = viewer.getView();
    const target = { yaw: view.yaw, pitch: view.pitch, fov: view.fov ?? current.fov };
    const turn = (this.turning = {});
    if (window.matchMedia('(prefers-reduced-motion: reduce)').matches) viewer.setView(target);
    // At the end the view is set for good (VIEW_CHANGE: the URL follows), unless another turn began meanwhile.
    else viewer.animateTo(target, TURN_MS).then(() => { if (this.turning === turn) viewer.setView(target); });
  }

  end() {
    this.setRoute(null);
    this.emit(ROUTE_END);
  }
}
