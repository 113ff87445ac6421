// The one admin API client of the staff pages: JSON (or a form with a file) in, JSON out, the session's CSRF
// token on every write, an object's version as If-Match, and the one error shape ({error: {code, message,
// message_en, details}}) thrown as ApiError with its message in the page's language.
import { getLang } from './strings.js';

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super((getLang() === 'en' ? error.message_en : error.message) || error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
    this.details = error.details;
    this.zh = error.message;
    this.en = error.message_en;
  }
}

function parse(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // a proxy's HTML error page: the status says enough
  }
}

export class Api {
  constructor(csrf, prefix = '') {
    this.csrf = csrf;
    this.prefix = prefix;
  }

  /** *body* is sent as JSON, or as it is when it is FormData (a file upload). */
  async call(method, url, { body, version } = {}) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = this.csrf;
    const form = body instanceof FormData;
    if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
    if (version !== undefined) headers['If-Match'] = `"${version}"`;
    const response = await fetch(`${this.prefix}${url}`, {
      method, headers, credentials: 'same-origin', body: body === undefined || form ? body : JSON.stringify(body),
    });
    const data = parse(await response.text());
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(url) { return this.call('GET', url); }
}

// "中文 / English" of an error or a problem, Chinese first.
export function bilingual(zh, en) {
  return zh && en && zh !== en ? `${zh} / ${en}` : zh || en || '';
}
