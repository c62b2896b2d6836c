// The pages' calls to the application's API (docs/app-api.md), on this
// page's own origin: JSON in, JSON out, the session in an HttpOnly cookie
// the page never sees. Every answer is { ok, status, body, error, message,
// retryAfter }; a network failure is status 0. A 401 session_ended (this
// device was logged out elsewhere, or went idle) is also told to the
// listener set with onSessionEnded, whatever call met it.
let sessionEnded = null;

export function onSessionEnded(listener) {
  sessionEnded = listener;
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    return { ok: false, status: 0, body: null, error: 'network', message: String(e?.message ?? e) };
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  const answer = {
    ok: response.ok,
    status: response.status,
    body: json,
    error: response.ok ? '' : String(json?.error ?? 'http_error'),
    message: response.ok ? '' : String(json?.message ?? `HTTP ${response.status}`),
    retryAfter: Number(response.headers.get('Retry-After')) || 0,
  };
  if (answer.status === 401 && answer.error === 'session_ended') {
    try {
      sessionEnded?.(answer.message);
    } catch {
      // a listener's failure must not hide the answer
    }
  }
  return answer;
}

export const getJson = (path) => api('GET', path);
export const postJson = (path, body = {}) => api('POST', path, body);
