// The device's survey queue (IndexedDB) and its sync with the server.
//
// Every saved survey goes into the queue first, online or not, with the UUID the form
// gave it. Sync sends the queued ones through POST /api/v1/surveys/batch; the server is
// idempotent on the id, so a batch whose answer was lost can be sent again and comes back
// `duplicate`, never as a second survey. Photos wait in the queue beside their survey and
// are uploaded once the server has the survey.
//
// Every record belongs to the account that saved it (`owner`, its username) and is only
// ever sent with that account's credential: a phone passed to a colleague, or signed
// out with surveys still waiting, never sends one person's surveys under another's name.
//
// A correction of a survey the server already has (one a reviewer returned, say) names
// the version it started from (`base_version`) and goes by the same sync as a PUT with
// `If-Match` of that version. If the survey changed on the server meanwhile, the answer
// is 409: the record becomes `stale` and keeps the server's version beside the phone's
// (`server`) until the technician keeps one of them (`keepPhone`, `keepServer`); nothing
// is overwritten silently.
//
// A record: { id, owner, survey, status: "queued" | "sent" | "invalid" | "conflict" | "stale",
//             errors: [Issue], warnings: [Issue], photos: [{ id, blob, name, width, height,
//             uploaded: bool, error?: Issue }], saved_at, sent_at?, base_version?: number,
//             server?: { version, survey, updated_by, updated_at } }

import { request as apiRequest } from "../shared/api.js";

const DB_NAME = "agriwaste-collect";
const STORE = "surveys";

let dbPromise;

function db() {
  dbPromise ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return dbPromise;
}

async function tx(mode, work) {
  const database = await db();
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(STORE, mode);
    const store = transaction.objectStore(STORE);
    let result;
    Promise.resolve(work(store, (value) => (result = value))).catch(reject);
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Every record, newest first. */
export async function all() {
  const records = await tx("readonly", (store, done) => request(store.getAll()).then(done));
  return records.sort((a, b) => (a.saved_at < b.saved_at ? 1 : -1));
}

export async function get(id) {
  return tx("readonly", (store, done) => request(store.get(id)).then(done));
}

export async function put(record) {
  await tx("readwrite", (store) => store.put(record));
  notify();
}

export async function remove(id) {
  await tx("readwrite", (store) => store.delete(id));
  notify();
}

/**
 * Saves a survey from the form into the queue as `owner`'s (replacing a record of the
 * same id, as when a survey that needs fixing is edited). Photos already uploaded stay
 * uploaded. `baseVersion`: the server's version a correction started from (a record
 * already correcting one keeps its own).
 */
export async function save(survey, photos, owner, baseVersion = null) {
  const previous = await get(survey.id);
  await put({
    id: survey.id,
    owner,
    survey,
    status: "queued",
    errors: [],
    warnings: previous?.warnings ?? [],
    photos,
    saved_at: previous?.saved_at ?? new Date().toISOString(),
    base_version: baseVersion ?? previous?.base_version ?? null,
  });
}

/** Keeps the phone's correction of a `stale` record: sent again on the server's version. */
export async function keepPhone(id) {
  const record = await get(id);
  if (record?.status !== "stale") return;
  const { server, ...rest } = record;
  await put({ ...rest, status: "queued", errors: [], base_version: server.version });
}

/** Keeps the server's version of a `stale` record: the phone's correction is dropped. */
export async function keepServer(id) {
  const record = await get(id);
  if (record?.status === "stale") await remove(id);
}

/** Whether the record still has something for the server: the survey, or a photo. */
export function isWaiting(record) {
  return record.status !== "sent" || record.photos.some((p) => !p.uploaded);
}

/** How many records wait for each owner: a Map from username to count. */
export async function waitingByOwner() {
  const counts = new Map();
  for (const record of await all()) if (isWaiting(record)) counts.set(record.owner, (counts.get(record.owner) ?? 0) + 1);
  return counts;
}

/**
 * Gives records saved before the queue knew its owners to `owner`: the account signed in
 * when the page first runs with this code (the one that saved them), or else the next
 * one to sign in.
 */
export async function claimUnowned(owner) {
  for (const record of await all()) {
    if (record.owner === undefined) await put({ ...record, owner });
  }
}

const listeners = new Set();
/** Calls `listener()` whenever the queue changes. */
export function onChange(listener) {
  listeners.add(listener);
}
function notify() {
  for (const listener of listeners) listener();
}

/**
 * Raised when the server refuses the credential (a session that ended, a device token
 * revoked): the person must sign in again. `body` is the server's error, if any.
 */
export class SessionExpired extends Error {}
/** Raised when the server could not be reached. */
export class Unreachable extends Error {}

/**
 * Calls the API with the device's credential; resolves to the answer's JSON. No answer
 * is `Unreachable`, a 401 `SessionExpired`; any other refusal throws as `request` does,
 * with the server's error in `body`.
 */
async function call(path, options, token) {
  try {
    return await apiRequest(path, { ...options, token });
  } catch (err) {
    if (err instanceof TypeError) throw new Unreachable(String(err));
    // The server says why (credential_expired, credential_revoked, account_disabled…).
    if (err.status === 401) throw Object.assign(new SessionExpired(err.body?.message_en ?? "401"), { body: err.body });
    throw err;
  }
}

const MAX_BATCH = 500;
let running = null;

/**
 * Sends every queued survey of `owner`, then every photo still waiting for a sent survey
 * of theirs, with their credential `token`; other owners' records are left alone. One
 * sync at a time: a call while one runs waits for it. Resolves to a summary
 * `{ sent, invalid, conflict, photos }`; rejects with `SessionExpired` or `Unreachable`
 * (the queue is left as it was for what did not go through).
 */
export async function sync(token, owner) {
  // A sync for another account still running (signed out and in again meanwhile) is
  // waited for, then this one runs with its own credential.
  while (running && running.owner !== owner) await running.done.catch(() => {});
  if (!running) {
    const done = syncOnce(token, owner).finally(() => (running = null));
    running = { owner, done };
  }
  return running.done;
}

async function syncOnce(token, owner) {
  const summary = { sent: 0, invalid: 0, conflict: 0, stale: 0, photos: 0 };
  const mine = (await all()).filter((r) => r.owner === owner && r.status === "queued").reverse();
  const corrections = mine.filter((r) => r.base_version != null);
  const queued = mine.filter((r) => r.base_version == null);
  for (let i = 0; i < queued.length; i += MAX_BATCH) {
    const chunk = queued.slice(i, i + MAX_BATCH);
    const body = await call("/api/v1/surveys/batch", { method: "POST", body: { surveys: chunk.map((r) => r.survey) } }, token);
    for (const result of body.results) {
      const record = chunk[result.index];
      // A record edited while the batch was on its way stays queued for the next round.
      const current = await get(record.id);
      if (!current || JSON.stringify(current.survey) !== JSON.stringify(record.survey)) continue;
      if (result.status === "created" || result.status === "duplicate") {
        current.status = "sent";
        current.sent_at = new Date().toISOString();
        current.errors = [];
        summary.sent += 1;
      } else {
        current.status = result.status; // "invalid" or "conflict"
        current.errors = result.errors;
        summary[result.status] += 1;
      }
      current.warnings = result.warnings ?? [];
      await put(current);
    }
  }
  for (const record of corrections) await sendCorrection(record, token, summary);
  for (const record of await all()) {
    if (record.owner !== owner || record.status !== "sent" || !record.photos.some((p) => !p.uploaded)) continue;
    for (const photo of record.photos.filter((p) => !p.uploaded)) {
      const form = new FormData();
      form.append("file", photo.blob, photo.name);
      let stored = null;
      let refused = null;
      try {
        stored = await call(`/api/v1/surveys/${record.id}/attachments`, { method: "POST", body: form }, token);
      } catch (err) {
        if (err instanceof Unreachable || err instanceof SessionExpired) throw err;
        refused = err.body ?? { message_zh: `上传失败(${err.status})`, message_en: `upload failed (${err.status})` };
      }
      const current = await get(record.id);
      const slot = current?.photos.find((p) => p.id === photo.id);
      if (!slot) continue;
      if (stored) {
        slot.uploaded = true;
        slot.sha256 = stored.sha256;
        delete slot.error;
        summary.photos += 1;
      } else {
        slot.error = refused;
      }
      await put(current);
    }
  }
  return summary;
}

/**
 * Sends one correction as `PUT /api/v1/surveys/{id}` naming its base version. Stored: the
 * record is `sent` at the new version. Changed meanwhile (409): `stale`, with the server's
 * current version fetched beside it. Refused: `invalid` with the server's errors at the
 * form's paths.
 */
async function sendCorrection(record, token, summary) {
  const path = `/api/v1/surveys/${record.id}`;
  let stored = null;
  let refused = null;
  try {
    stored = await call(path, { method: "PUT", headers: { "if-match": `"v${record.base_version}"` }, body: { survey: record.survey } }, token);
  } catch (err) {
    if (err instanceof Unreachable || err instanceof SessionExpired) throw err;
    refused = err;
  }
  const server = refused?.status === 409 ? await call(path, {}, token) : null;
  // A record edited while the correction was on its way stays queued for the next round.
  const current = await get(record.id);
  if (!current || JSON.stringify(current.survey) !== JSON.stringify(record.survey) || current.status !== "queued") return;
  if (stored) {
    Object.assign(current, { status: "sent", sent_at: new Date().toISOString(), errors: [], base_version: stored.version });
    current.warnings = (stored.warnings ?? []).map(underForm);
    summary.sent += 1;
  } else if (server) {
    current.status = "stale";
    current.server = { version: server.version, survey: server.survey, updated_by: server.updated_by, updated_at: server.updated_at };
    current.errors = [];
    summary.stale += 1;
  } else {
    const body = refused.body ?? { message_zh: `服务器拒绝了更正(${refused.status})`, message_en: `the server refused the correction (${refused.status})`, path: "" };
    current.status = "invalid";
    current.errors = (body.errors?.length ? body.errors : [body]).map(underForm);
    summary.invalid += 1;
  }
  await put(current);
}

/** An issue of a correction's answer at the form's path (`survey.film.used_kg` → `film.used_kg`). */
function underForm(issue) {
  return { ...issue, path: (issue.path ?? "").replace(/^survey\.?/, "") };
}
