// Small DOM helpers: text always goes in through textContent.
import { facilityType, getLang } from '../i18n.js';

/** Create an element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** GET a JSON document; rejects on an error status with the API's message in the page's language and the status. */
export async function getJSON(url, signal) {
  const response = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok) {
    const error = new Error((getLang() === 'en' ? body?.error?.message_en : body?.error?.message) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

/** The round symbol of facility type *type* in its vocabulary colour (decoration: hidden from screen readers). */
export function facilitySymbol(type) {
  const { symbol, color } = facilityType(type);
  const node = el('span', { class: 'result-symbol', 'aria-hidden': 'true', text: symbol });
  node.style.background = color;
  return node;
}
