// The 3D hall's model read by floor: which of its nodes belong to which floor (so that choosing a floor shows
// only that floor) and which are the hall's places, the counters and facilities a citizen can pick. Model
// space as everywhere: metres, +Y up; a floor is the hall document's {level, elevation, name}.
import { Box3, Vector3 } from 'three';

const FLOOR_TOL = 0.5; // metres: a part reaching this far below a floor's elevation (its slab) belongs to it
const EPS = 1e-3; // metres: stairs ending at a floor's elevation arrive on it
const PLACE = /^(counter|facility):[^/]+$/;
const WALLS = /^walls:/; // a floor's walls (hallmodel/build.py): seen through in the 3D hall
const _box = new Box3();

/** The node's name as written in the GLB (GLTFLoader strips ':' and '/' from .name, keeps it in userData). */
export function nodeName(node) {
  return node.userData.name || node.name;
}

/** The nodes *model* is made of: the children of its root, looking through wrappers of one child (trimesh's "world"). */
function topNodes(model) {
  let root = model;
  while (root.children.length === 1 && !root.isMesh && !PLACE.test(nodeName(root))) [root] = root.children;
  return root.isMesh ? [root] : root.children;
}

/** The levels of *floors* a node with vertical bounds [minY, maxY] is on (a lift or stairs: all it serves). */
function floorsSpanned(floors, minY, maxY) {
  const levels = floors.filter((f) => f.elevation >= minY - FLOOR_TOL && f.elevation <= maxY + EPS).map((f) => f.level);
  if (levels.length) return levels;
  const below = floors.filter((f) => f.elevation <= minY + FLOOR_TOL); // something hanging under a ceiling
  return [(below.at(-1) ?? floors[0]).level];
}

/**
 * The parts and places of *model* (world matrices up to date) for *hall*, the hall document; *floors* sorted
 * by elevation. parts: [{node, floors: Set of levels, walls: bool}]; places: [{target, kind, number, name, floor, node,
 * anchor: [x, y, z]}] for every counter and facility of the document that has its node in the model, in the
 * document's order (the one-to-one rule makes that all of them).
 */
export function readModel(model, hall, floors) {
  const nodes = new Map();
  model.traverse((node) => { if (PLACE.test(nodeName(node))) nodes.set(nodeName(node), node); });
  const places = [];
  const add = (target, fields, placement) => {
    const node = nodes.get(target);
    if (!node) return;
    const anchor = placement?.anchor ?? _box.setFromObject(node).getCenter(new Vector3()).toArray();
    places.push({ target, node, anchor, ...fields });
  };
  for (const c of hall.counters || []) {
    add(`counter:${c.number}`, { kind: 'counter', number: c.number, name: c.name, floor: c.floor }, c.placement);
  }
  for (const f of hall.facilities || []) {
    add(`facility:${f.id}`, { kind: 'facility', number: null, name: f.name, floor: f.floor }, f.placement);
  }
  const placeOf = new Map(places.map((p) => [p.node, p]));
  const parts = topNodes(model).map((node) => {
    const place = placeOf.get(node);
    _box.setFromObject(node);
    const levels = place ? [place.floor] : floorsSpanned(floors, _box.min.y, _box.max.y);
    return { node, floors: new Set(levels), walls: WALLS.test(nodeName(node)) };
  });
  return { parts, places };
}
