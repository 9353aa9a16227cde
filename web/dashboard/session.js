// The session of the signed-in pages (dashboard, review page, admin page) and the way
// they call the API with it. The token lives in sessionStorage: for this tab only, so a
// shared office computer forgets it when the tab closes, and signing in again is cheap.

export const TOKEN_KEY = "agriwaste.session"; // shared with the landing page
export const LANG_KEY = "agriwaste.lang";

/**
 * Calls the API with the session: `request("/api/v1/users", { method: "POST", body })`
 * (`headers` for more, e.g. `If-Match`). Resolves to the parsed JSON (text with
 * `asText`, a Blob with `asBlob`; null for 204). A failure throws an
 * Error whose message is the server's zh · en message and which carries `status` and,
 * when the server sent one, `body` (the common error shape: `code`, `path`, `errors`,
 * `message_zh`, `message_en`), so a form can put each problem next to its field. A 401
 * forgets the session: the caller shows the sign-in.
 */
export async function request(path, { method = "GET", body, asText = false, asBlob = false, headers: extra = {} } = {}) {
  const headers = { accept: "application/json", ...extra };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw Object.assign(new Error("sign in required"), { status: 401 });
  }
  if (!response.ok) {
    let message = `${path}: ${response.status}`;
    let errorBody = null;
    try {
      errorBody = await response.json();
      message = `${errorBody.message_zh} · ${errorBody.message_en}`;
    } catch (_) { /* not JSON */ }
    throw Object.assign(new Error(message), { status: response.status, body: errorBody });
  }
  if (response.status === 204) return null;
  if (asBlob) return response.blob();
  return asText ? response.text() : response.json();
}

/** A GET: `api(path)` for JSON, `api(path, true)` for text. */
export const api = (path, asText = false) => request(path, { asText });

/**
 * Signs in with a password and keeps the session. Resolves to null, or to the error
 * message (zh · en) to show beside the form.
 */
export async function signIn(username, password) {
  const response = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await response.json();
  if (!response.ok) return `${body.message_zh} · ${body.message_en}`;
  sessionStorage.setItem(TOKEN_KEY, body.token);
  return null;
}

/** Ends the session on the server (best effort) and forgets it here. */
export async function signOut() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  if (token) await fetch("/api/v1/auth/logout", { method: "POST", headers: { authorization: `Bearer ${token}` } }).catch(() => {});
}
