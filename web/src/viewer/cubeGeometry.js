// Tile geometry of a Pannellum multires cube: faces, levels and the tiles of a level, in face image
// coordinates; nothing here knows URLs, requests or the view.
//
// Faces (as Pannellum and server/panoramas/tiles.py): f looks at yaw 0 (−Z), r at +90 (+X), b at 180 (+Z),
// l at −90 (−X), u up, d down. Image column u runs right and row v down, seen from inside the cube; both in
// [0, 1] across a face. A level's face is `size` pixels square, cut into tiles of `tileResolution` pixels
// (the last row and column narrower).
import { Vector3 } from 'three';

export const FACES = 'frblud';

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

/** The tiles of one face at a level of *size* pixels: {face, row, col, u0, v0, u1, v1} each, row by row. */
export function faceTiles(face, size, tileResolution) {
  const across = Math.ceil(size / tileResolution);
  const out = [];
  for (let row = 0; row < across; row++) {
    for (let col = 0; col < across; col++) {
      out.push({
        face, row, col,
        u0: (col * tileResolution) / size, u1: Math.min((col + 1) * tileResolution, size) / size,
        v0: (row * tileResolution) / size, v1: Math.min((row + 1) * tileResolution, size) / size,
      });
    }
  }
  return out;
}

/** The corners of a face rectangle on the cube of half side *scale*, as four Vector3 written into *targets*. */
export function rectCorners({ face, u0, v0, u1, v1 }, scale, targets) {
  facePoint(face, u0, v0, targets[0]).multiplyScalar(scale);
  facePoint(face, u1, v0, targets[1]).multiplyScalar(scale);
  facePoint(face, u0, v1, targets[2]).multiplyScalar(scale);
  facePoint(face, u1, v1, targets[3]).multiplyScalar(scale);
  return targets;
}

/** The unit direction from the cube's centre to the middle of a face rectangle. */
export function rectCentre({ face, u0, v0, u1, v1 }, target = new Vector3()) {
  return facePoint(face, (u0 + u1) / 2, (v0 + v1) / 2, target).normalize();
}
