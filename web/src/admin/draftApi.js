// The admin API from the draft pages (counters, facts, versions, audit): JSON in and out, the CSRF token on
// every write, and an error that carries the API's code, its message in the page's language and its details.
import { getLang } from './strings.js';

export class ApiProblem extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super((getLang() === 'en' ? error.message_en : error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
    this.details = error.details;
  }
}

export class Api {
  constructor(csrf) {
    this.csrf = csrf;
  }

  async call(method, url, { body, version } = {}) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = this.csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (version !== undefined) headers['If-Match'] = `"${version}"`;
    const response = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin',
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiProblem(response.status, data);
    return data;
  }

  get(url) { return this.call('GET', url); }
}
