// Every call a page makes to the API, and the session of the signed-in pages (landing,
// dashboard, review page, admin page). Their token lives in sessionStorage: for this tab
// only, so a shared office computer forgets it when the tab closes, and signing in again
// is cheap. The collect page keeps its own credential (a phone stays signed in for days
// offline) and passes it as `token`.

const TOKEN_KEY = "agriwaste.session";

/** Keeps the session token of a password sign-in for this tab. */
export function keepSession(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/**
 * Calls the API: `request("/api/v1/users", { method: "POST", body })` (`headers` for more,
 * e.g. `If-Match`). `body` is sent as JSON, or as it is when it is FormData. `token` is
 * the bearer credential: by default the tab's session, none when null. Resolves to the
 * parsed JSON (text with `asText`, a Blob with `asBlob`; null for 204).
 *
 * A failure throws an Error whose message is the server's zh · en message and which
 * carries `status` and, when the server sent one, `body` (the common error shape: `code`,
 * `path`, `errors`, `message_zh`, `message_en`), so a form can put each problem next to
 * its field. A 401 on the tab's session forgets it: the caller shows the sign-in. No
 * answer at all (offline) rejects with fetch's TypeError.
 */
export async function request(path, { method = "GET", body, asText = false, asBlob = false, headers: extra = {}, token } = {}) {
  const headers = { accept: "application/json", ...extra };
  const ownSession = token === undefined;
  const credential = ownSession ? sessionStorage.getItem(TOKEN_KEY) : token;
  if (credential) headers.authorization = `Bearer ${credential}`;
  const init = { method, headers };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    let message = response.status === 401 ? "sign in required" : `${path}: ${response.status}`;
    let errorBody = null;
    try {
      errorBody = await response.json();
      // The API's errors carry both languages; other answers (/readyz) keep the status.
      if (response.status !== 401 && errorBody?.message_zh) message = `${errorBody.message_zh} · ${errorBody.message_en}`;
    } catch (_) { /* not JSON */ }
    if (response.status === 401 && ownSession) sessionStorage.removeItem(TOKEN_KEY);
    throw Object.assign(new Error(message), { status: response.status, body: errorBody });
  }
  if (response.status === 204) return null;
  if (asBlob) return response.blob();
  return asText ? response.text() : response.json();
}

/** A GET with the tab's session: `api(path)` for JSON, `api(path, true)` for text. */
export const api = (path, asText = false) => request(path, { asText });

/**
 * Signs in with a password: the one place a page does. Resolves to the server's answer
 * (`token`, `expires_at`, `user`); a refusal throws as `request` does, with the server's
 * reason in `body`. Keeping the token is the caller's: the tab's session, or the phone's.
 */
export function logIn(username, password) {
  return request("/api/v1/auth/login", { method: "POST", body: { username, password }, token: null });
}

/** Ends a session on the server, best effort: signing out works offline too. */
export function endSession(token) {
  if (!token) return Promise.resolve();
  return fetch("/api/v1/auth/logout", { method: "POST", headers: { authorization: `Bearer ${token}` } }).then(() => {}, () => {});
}

/** Ends the tab's session on the server (best effort) and forgets it here. */
export function signOut() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  return endSession(token);
}
