// A floor plan SVG from our own API, made safe to put inline (the tour's minimap and the staff kiosk form).
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
