// Links from data, checked once more before the page makes them: the server allows them on write and gives them
// on render only when they pass (server/urls.py); this is the last gate before an <a href>. A link is an absolute
// http(s) URL with a host and no user name, white space, control character or backslash (never javascript:,
// data:, vbscript:, //host, \\host or https:host).
const MAX_LINK = 500;
const UNSAFE = /[\s\\\u2028\u2029\ufeff]/;

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
