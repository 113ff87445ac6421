// Addresses from data, checked once more before the page uses them: the server allows them on write and gives
// them on render only when they pass (server/urls.py); this is the last gate before an <a href> or a CSS url().
// A link is an absolute http(s) URL with a host and no user name, white space, control character or backslash
// (never javascript:, data:, vbscript:, //host, \\host or https:host); an inline image is a bounded base64
// data: URI of a JPEG, PNG or WebP; a panorama file is a path under /panoramas/ of plain name characters.
const MAX_LINK = 500;
const MAX_INLINE_IMAGE = 16384;
const UNSAFE = /[\s\\\u2028\u2029\ufeff]/;
const INLINE_IMAGE = /^data:image\/(?:jpeg|png|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const PANORAMA_FILE = /^\/panoramas\/(?:[A-Za-z0-9][A-Za-z0-9._-]{0,63}\/){3}[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Whether *value* holds a control character (C0, DEL or C1). */
function hasControl(value) {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** *value* when it may be the href of a link, else null. */
export function linkHref(value) {
  if (typeof value !== 'string' || value.length > MAX_LINK || UNSAFE.test(value) || hasControl(value) || !/^https?:\/\/[^/]/i.test(value)) return null;
  let url;
  try { url = new URL(value); } catch { return null; }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || !url.hostname) return null;
  return value;
}

/** *value* when it is an inline image that CSS or an <img> may show, else null. */
export function inlineImage(value) {
  return typeof value === 'string' && value.length <= MAX_INLINE_IMAGE && INLINE_IMAGE.test(value) ? value : null;
}

/** *value* when it is the path of a published panorama file, else null (no '..', no query, no other host). */
export function panoramaFile(value) {
  return typeof value === 'string' && PANORAMA_FILE.test(value) && !value.includes('..') ? value : null;
}
