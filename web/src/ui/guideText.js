// A guide text's token tree (server/catalogue/markdown.py) as DOM nodes: paragraphs, bullet and numbered lists,
// bold, italic, line breaks and links — each made with createElement and textContent, never innerHTML. Anything
// not in that set is dropped; a link whose address fails linkHref is shown as its text.
import { linkHref } from './addresses.js';
import { el } from './dom.js';

const MAX_DEPTH = 16; // the server nests far less; a deeper tree is cut, not followed

function inline(nodes, depth) {
  if (!Array.isArray(nodes) || depth > MAX_DEPTH) return [];
  return nodes.map((node) => {
    if (!node || typeof node !== 'object') return null;
    if (typeof node.text === 'string') return document.createTextNode(node.text);
    if (node.br === true) return el('br');
    if (Array.isArray(node.b)) return el('strong', {}, inline(node.b, depth + 1));
    if (Array.isArray(node.i)) return el('em', {}, inline(node.i, depth + 1));
    if (node.a && typeof node.a.text === 'string') {
      const href = linkHref(node.a.href);
      return href ? el('a', { href, target: '_blank', rel: 'noopener', text: node.a.text }) : document.createTextNode(node.a.text);
    }
    return null;
  });
}

function blocks(list, depth) {
  if (!Array.isArray(list) || depth > MAX_DEPTH) return [];
  return list.map((block) => {
    if (!block || typeof block !== 'object') return null;
    if (Array.isArray(block.p)) return el('p', {}, inline(block.p, depth + 1));
    const tag = Array.isArray(block.ul) ? 'ul' : Array.isArray(block.ol) ? 'ol' : null;
    if (!tag) return null;
    return el(tag, {}, block[tag].map((item) => el('li', {}, blocks(item, depth + 1))));
  });
}

/** A `div` of class *className* holding guide text *tree*; with no tree, *fallback* as one plain paragraph. */
export function guideText(tree, fallback, className) {
  const children = Array.isArray(tree) && tree.length ? blocks(tree, 0) : [el('p', { text: fallback || '' })];
  return el('div', { class: className }, children);
}
