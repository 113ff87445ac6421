// The admin API from a staff page: JSON with the session's CSRF token on writes, errors in the one shape
// ({error: {code, message, message_en, details}}) thrown as ApiError. Shared by the staff pages.
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message_en || `HTTP ${status}`);
    this.status = status;
    this.error = error || {};
  }
}

export function adminApi(csrf) {
  return async function call(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`/api/v1/admin${path}`, {
      method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data?.error);
    return data;
  };
}

// "中文 / English" of an error or a problem, Chinese first.
export function bilingual(zh, en) {
  return zh && en && zh !== en ? `${zh} / ${en}` : zh || en || '';
}
