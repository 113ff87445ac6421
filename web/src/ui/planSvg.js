// A floor plan SVG from our own API, made safe to put inline (the tour's minimap, the staff kiosk form and the
// scene editor), and what those pages share about it: the plan's viewBox is model metres (x → x, z → y), so a
// click is read back as a plan point, and a bearing b points along (sin b, −cos b), i.e. SVG rotate(b) of "up".
/** Drop what a plan must not bring into the page: scripts, foreign content, event-handler attributes. */
export function sanitize(root) {
  for (const node of root.querySelectorAll('script, foreignObject, iframe')) node.remove();
  for (const node of [root, ...root.querySelectorAll('*')]) {
    for (const attr of [...node.attributes]) {
      if (/^on/i.test(attr.name) || (/href$/i.test(attr.name) && /^\s*javascript:/i.test(attr.value))) node.removeAttribute(attr.name);
    }
  }
  return root;
}

/** Fetch the plan at *url* in *lang*, parse it (DOMParser, never innerHTML) and import it sanitized, without its
 * fixed size (CSS sizes it). Throws when it cannot be had or is no SVG. */
export async function loadPlan(url, lang) {
  const response = await fetch(`${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
  if (!response.ok) throw new Error(response.statusText);
  const doc = new DOMParser().parseFromString(await response.text(), 'image/svg+xml');
  if (doc.querySelector('parsererror') || doc.documentElement.localName !== 'svg') throw new Error('bad plan');
  const root = sanitize(document.importNode(doc.documentElement, true));
  root.removeAttribute('width');
  root.removeAttribute('height');
  return root;
}

/** The plan point {x, y} (model x and z, metres) under a pointer *event* on plan *root*. */
export function planPoint(root, event) {
  const p = root.createSVGPoint();
  p.x = event.clientX;
  p.y = event.clientY;
  return p.matrixTransform(root.getScreenCTM().inverse());
}

/** The path of a view cone of radius *r* and half-angle *half* (degrees) from the origin, pointing "up" (north):
 * rotate it by the bearing. */
export function conePath(r, half) {
  const a = (half * Math.PI) / 180;
  return `M0 0L${-r * Math.sin(a)} ${-r * Math.cos(a)}A${r} ${r} 0 0 1 ${r * Math.sin(a)} ${-r * Math.cos(a)}Z`;
}
