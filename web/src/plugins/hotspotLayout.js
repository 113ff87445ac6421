// Where hotspot labels go on screen so that none covers another: rows of one department's counters that
// would pile up collapse into one group label, and the rest are placed in priority order (route first,
// then scene links, then the nearest), each at its true place or nudged aside by half widths or whole heights,
// else left out at this zoom (its group or the text directory still reaches it). Pure functions over
// plain numbers, so the rules can be tested and reused by other plugin sets (kiosk, editor).

export const GAP = 4; // px kept free between two labels
// Tries, nearest first: [sideways in half label widths, up (−) or down (+) in label heights], each plus GAP.
export const NUDGES = [[0, 0], [0, -1], [0, 1], [-1, 0], [1, 0], [-1, -1], [1, -1], [-1, 1], [1, 1], [0, -2], [0, 2],
  [-2, 0], [2, 0], [-2, -1], [2, -1], [0, -3], [0, 3], [-2, -2], [2, -2], [-2, 2], [2, 2]];
export const ROW_SPAN_DEG = 14; // counters of one department this close in yaw, one after another, are a row
export const ROW_PITCH_DEG = 8; // … and this close in pitch

/** Runs of *counters* ({spot: {yaw, pitch}, department}) that stand side by side in one department: the
 * rows that may collapse into a group label. Only runs of two or more are returned, each sorted by yaw. */
export function rows(counters) {
  const sorted = [...counters].sort((a, b) => a.spot.yaw - b.spot.yaw);
  const out = [];
  let run = [];
  for (const item of sorted) {
    const last = run[run.length - 1];
    const joins = last && item.department && item.department === last.department
      && item.spot.yaw - last.spot.yaw <= ROW_SPAN_DEG && Math.abs(item.spot.pitch - last.spot.pitch) <= ROW_PITCH_DEG;
    if (!joins) {
      if (run.length > 1) out.push(run);
      run = [];
    }
    run.push(item);
  }
  if (run.length > 1) out.push(run);
  return out;
}

/** Whether boxes *a* and *b* ({x, y, w, h}: centre and size) come closer than *gap* pixels. */
export function overlaps(a, b, gap = GAP) {
  return Math.abs(a.x - b.x) * 2 < a.w + b.w + 2 * gap && Math.abs(a.y - b.y) * 2 < a.h + b.h + 2 * gap;
}

/** Whether the boxes of a row, at their true places, would touch one another. */
export function crowded(boxes) {
  const sorted = [...boxes].sort((a, b) => a.x - b.x);
  for (let i = 1; i < sorted.length; i++) if (overlaps(sorted[i - 1], sorted[i])) return true;
  return false;
}

/**
 * Place *units* — boxes {x, y, w, h, fixed} in priority order — so that none overlaps another: a fixed
 * unit stays where it is (the route arrow, the edge marker), the others take the first nudge that is free.
 * Returns, per unit, its place {x, y} or null when no nudge is free.
 */
export function place(units) {
  const placed = [];
  return units.map((unit) => {
    if (unit.fixed) {
      placed.push(unit);
      return { x: unit.x, y: unit.y };
    }
    for (const [i, k] of NUDGES) {
      const box = { ...unit, x: unit.x + i * (unit.w / 2 + GAP), y: unit.y + k * (unit.h + GAP) };
      if (!placed.some((other) => overlaps(box, other))) {
        placed.push(box);
        return { x: box.x, y: box.y };
      }
    }
    return null;
  });
}
