// The technician's form (/collect/): sign-in, the survey form with the analytics module's
// validation, the device queue and its sync, GPS and photos. See README "Web pages".

import init, { validateSurvey, estimateStraw, estimateDung, coefficientsOfApplicable } from "../pkg/agriwaste_analytics.js";
import { t, pick, message, toggleLang } from "./i18n.js";
import { fieldRow, readSurvey, fillSurvey, showIssues, labelOf, writeCrop } from "./form.js";
import { endSession, request } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { SECTIONS, IDENTITY, LOCATION, changedFields, fieldAt } from "../shared/fields.js";
import { valueText } from "../shared/values.js";
import { signInForm } from "../shared/sign-in.js";
import { formatNumber, htmlLang, locale } from "../shared/words.js";
import * as queue from "./queue.js";
import * as mine from "./mine.js";
import { downscale } from "./photo.js";

const SESSION_KEY = "agriwaste.collect.session";
const REGIONS_KEY = "agriwaste.collect.regions";
const LAST_PLACE_KEY = "agriwaste.collect.last-place";
const COEFFICIENTS_KEY = "agriwaste.collect.coefficients";

const app = document.getElementById("app");
// Out of the address bar before anything else runs (see takeTokenFromAddress).
const linkToken = takeTokenFromAddress();
const state = {
  session: JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null"),
  regions: JSON.parse(localStorage.getItem(REGIONS_KEY) ?? "[]"),
  // The coefficients of each county and year seen ("542523|2025" -> Coefficients JSON).
  coefficients: JSON.parse(localStorage.getItem(COEFFICIENTS_KEY) ?? "{}"),
  expired: false,
  keepWorking: false, // expired, but the person chose to go on filling in (offline, say)
  authProblem: null, // the server's 401 answer that ended the sign-in
  signInMode: "password", // or "device": the sign-in screen's form
  pendingToken: null, // a device token being checked (typed, or from a link)
  linking: false, // a #device-token= link was opened: its sign-in comes first
  draft: null, // { owner, survey }: the form's content kept over a sign-in, for its owner
  surveyId: crypto.randomUUID(),
  photos: [],
  // The synced survey the form corrects: { base_version, review } (the server's version
  // it started from, and the reviewer's decision, whose comments show at their fields).
  correction: null,
  touched: new Set(),
  submitted: false,
  // The tab shown: "my surveys" when the address asks for it (/collect/#mine, the
  // landing page's link), else the form.
  tab: location.hash === "#mine" ? "mine" : "form",
  sync: null, // the last sync: { at, toFix } or { failed, issue }
  syncing: false,
};

// ---------------------------------------------------------------------------------------
// Dates: surveys are dated in China Standard Time, as the server checks them.

function todayInChina() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------
// Validation: the analytics module (WASM), the same code the server runs.

/**
 * Every issue of the survey. The wire format's decoder stops at the first field it cannot
 * read (a required number left empty, text in a number field); to list them all at once,
 * each such field is reported and then given a stand-in 0 so the rest can be checked.
 * Issues the stand-in itself causes (a part exceeding a stand-in whole, in the same
 * section or row) are left out.
 */
// The section or straw row a wire path lies in (`film`, `straw[0]`, "" at the top).
const parentOf = (path) => path.slice(0, Math.max(path.lastIndexOf("."), 0));

function validate(survey) {
  const today = todayInChina();
  const coefficients = coefficientsFor(survey);
  const probe = structuredClone(survey);
  const unreadable = [];
  for (let round = 0; round < 50; round += 1) {
    const issues = JSON.parse(validateSurvey(JSON.stringify(probe), today, coefficients));
    const only = issues.length === 1 ? issues[0] : null;
    const decodeProblem = only && (only.code === "missing_field" || only.code === "invalid_value") && only.path;
    const standIn = only?.path === "surveyed_on" ? today : 0;
    if (!decodeProblem || unreadable.some((u) => u.path === only.path) || !setPath(probe, only.path, standIn)) {
      const standIns = unreadable.map((u) => u.path);
      return [
        ...unreadable,
        ...issues.filter((issue) => !standIns.includes(issue.path) && !(issue.code === "exceeds_whole" && standIns.some((p) => parentOf(p) === parentOf(issue.path)))),
      ];
    }
    unreadable.push(only);
  }
  return unreadable;
}

// Coefficients: a warning that compares what was recorded with an estimate (dung used
// against the herd) must use the estimate the server stores the survey's facts with, so
// the form asks the server which coefficients apply to the survey's county and year (once
// per county and year and page load) and keeps them for offline use. Until they arrive
// (or offline, never asked) the shipped table serves, as on the server of a bureau that
// set none of its own.

const coefficientsAsked = new Set();

/** The Coefficients JSON for the survey's county and year; "" (the shipped table) if none is known. */
function coefficientsFor(survey) {
  const year = /^\d{4}/.test(survey.surveyed_on ?? "") ? survey.surveyed_on.slice(0, 4) : null;
  if (!survey.county_code || !year) return "";
  const key = `${survey.county_code}|${year}`;
  if (!coefficientsAsked.has(key)) loadCoefficients(survey.county_code, year, key);
  return state.coefficients[key] ?? "";
}

async function loadCoefficients(county, year, key) {
  if (!state.session) return;
  coefficientsAsked.add(key);
  try {
    const query = new URLSearchParams({ region: county, year });
    const text = await request(`/api/v1/coefficients/applicable?${query}`, { asText: true, token: state.session.token });
    const coefficients = coefficientsOfApplicable(text);
    if (state.coefficients[key] === coefficients) return;
    state.coefficients[key] = coefficients;
    localStorage.setItem(COEFFICIENTS_KEY, JSON.stringify(state.coefficients));
    refresh();
  } catch {
    // Offline, refused, or an answer the module cannot read: the copy from the last visit serves.
  }
}

/** Sets `a.b[2].c` in `object`; false when the path leads nowhere. */
function setPath(object, path, value) {
  const parts = path.match(/[^.[\]]+/g) ?? [];
  let at = object;
  for (const part of parts.slice(0, -1)) {
    if (at === null || typeof at !== "object" || !(part in at)) return false;
    at = at[part];
  }
  if (at === null || typeof at !== "object") return false;
  at[parts.at(-1)] = value;
  return true;
}

// ---------------------------------------------------------------------------------------
// Session and regions.
//
// `state.session` is `{ token, kind, user }`: `kind` "session" for a 12-hour session from
// a username and password, "device" for a technician's long-lived device token (issued
// by an admin, revocable), which lets a phone sync after days offline. Either goes in
// `Authorization: Bearer`.

function saveSession(session) {
  state.session = session;
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
}

async function loadRegions() {
  try {
    state.regions = await request("/api/v1/regions", { token: null });
    localStorage.setItem(REGIONS_KEY, JSON.stringify(state.regions));
  } catch {
    // Offline (or refused): the copy from the last visit serves.
  }
}

/** The counties this person may survey in, as `{ code, label }`. */
function counties() {
  const user = state.session?.user ?? {};
  const byCode = new Map(state.regions.map((r) => [r.code, r]));
  let codes = user.counties ?? [];
  if (!codes.length) {
    // Admins (and people without a county list) pick any county, or those under their scope.
    const under = (code) => {
      for (let r = byCode.get(code); r; r = byCode.get(r.parent_code)) if (r.code === user.scope_code) return true;
      return false;
    };
    codes = state.regions.filter((r) => r.level === "county" && (!user.scope_code || under(r.code))).map((r) => r.code);
  }
  return codes.map((code) => {
    const region = byCode.get(code);
    const name = region ? pick({ zh: region.name_zh, en: region.name_en }) : "";
    return { code, label: name ? `${name} ${code}` : code };
  });
}

function countyName(code) {
  const region = state.regions.find((r) => r.code === code);
  return region ? pick({ zh: region.name_zh, en: region.name_en }) : code;
}

// ---------------------------------------------------------------------------------------
// Layout.

/** Draws the page; `survey` (or a draft kept over a sign-in) is put back into the form. */
function render(survey = null) {
  document.documentElement.lang = htmlLang();
  document.title = t("title");
  const header = el(
    "header",
    { class: "top" },
    el("div", { class: "brand" }, el("strong", { text: t("title") }), el("span", { class: "sub", text: t("subtitle") })),
    el(
      "div",
      { class: "who" },
      state.session
        ? el("span", { class: "user", text: `${t("signed_in_as")} ${state.session.user.username}${state.session.kind === "device" ? ` · ${t("via_device")}` : ""}` })
        : null,
      el("button", { type: "button", class: "link", id: "lang", text: t("switch_lang") }),
      state.session ? el("button", { type: "button", class: "link", id: "sign-out", text: t("signout") }) : null,
    ),
  );
  const main = el("main");
  app.replaceChildren(header, main);
  document.getElementById("lang").addEventListener("click", () => {
    const survey = state.session && document.getElementById("survey") ? currentSurvey() : null;
    toggleLang();
    render(survey);
  });
  document.getElementById("sign-out")?.addEventListener("click", signOut);

  if (!state.session || (state.expired && !state.keepWorking) || state.linking) {
    main.append(signInView());
    return;
  }
  // A draft goes back into the form of the person who wrote it, nobody else's.
  const draft = survey ?? (state.draft?.owner === owner() ? state.draft.survey : null);
  if (!survey && draft) state.draft = null;
  // A correction continues only with the survey it corrects.
  if (!draft) state.correction = null;
  main.append(statusBar(), tabs(), formView(), queueView(), mineView());
  startForm(draft);
  showTab(state.tab);
  renderQueue();
  renderMine();
}

/** What the sign-in screen says above its form: why the person is there again. */
function signInNote() {
  if (state.expired && state.session?.kind === "device") {
    const problem = state.authProblem ?? { message_zh: "服务器拒绝了设备令牌", message_en: "the server refused the device token" };
    return t("device_token_refused", { reason: message(problem) });
  }
  if (state.expired) return t("session_expired");
  return navigator.onLine ? "" : t("sign_in_offline");
}

/** The account whose surveys the form saves and sends: the one signed in. */
function owner() {
  return state.session.user.username;
}

/**
 * Fills `list` with one line per account that has surveys waiting on this phone (except
 * `except`, the one signed in): who they belong to and that only they can send them.
 */
async function showWaitingFor(list, except = null) {
  const counts = await queue.waitingByOwner();
  list.replaceChildren(
    ...[...counts].filter(([user]) => user !== except).map(([user, n]) => el("li", { "data-owner": user, "data-count": String(n), text: t("waiting_for", { n, user }) })),
  );
}

function signInView() {
  const device = state.signInMode === "device";
  const note = el("p", { class: "notice", id: "sign-in-note", text: signInNote() });
  const error = el("p", { class: "error", id: "sign-in-error", role: "alert" });
  const other = el("button", {
    type: "button",
    class: "link other-sign-in",
    id: device ? "use-password" : "use-device-token",
    text: device ? t("use_password") : t("use_device_token"),
  });
  other.addEventListener("click", () => {
    state.signInMode = device ? "password" : "device";
    render();
  });
  const waiting = el("ul", { class: "waiting-for", id: "waiting-for" });
  showWaitingFor(waiting);
  // Signing in needs the network; a lapsed sign-in need not stop the work meanwhile.
  const keepWorking = state.expired && state.session ? el("button", { type: "button", class: "secondary", id: "keep-working", text: t("keep_working") }) : null;
  keepWorking?.addEventListener("click", () => {
    state.keepWorking = true;
    render();
  });
  if (device) {
    const form = el(
      "form",
      { id: "device-sign-in", class: "card sign-in" },
      el("h1", { text: t("signin") }),
      note,
      el(
        "label",
        {},
        t("device_token"),
        el("input", {
          name: "device_token",
          autocomplete: "off",
          autocapitalize: "off",
          spellcheck: "false",
          required: true,
          value: state.pendingToken ?? "",
          "aria-describedby": "device-token-hint sign-in-error",
        }),
      ),
      el("p", { class: "hint", id: "device-token-hint", text: t("device_token_hint") }),
      error,
      el("button", { type: "submit", text: t("signin") }),
      other,
      keepWorking,
      waiting,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      error.textContent = (await signInWithDeviceToken(new FormData(form).get("device_token"))) ?? "";
    });
    return form;
  }
  return signInForm(el("form", { id: "sign-in", class: "card sign-in" }), {
    heading: el("h1", { text: t("signin") }),
    note,
    labels: { username: [t("username")], password: [t("password")], submit: [t("signin")] },
    username: state.session?.user?.username,
    error,
    errorFirst: true,
    after: [other, keepWorking, waiting].filter(Boolean),
    describe: message,
    offline: () => t("sign_in_offline"),
    signedIn: (answer) => signedIn({ token: answer.token, kind: "session", expires_at: answer.expires_at, user: answer.user }),
  });
}

/**
 * Checks a device token with the server (`GET /api/v1/auth/me`) and, when it is good,
 * signs the device in with it. Resolves to null, or to the reason it was not taken.
 */
async function signInWithDeviceToken(raw) {
  const token = String(raw ?? "").trim();
  state.pendingToken = token;
  // The token's prefix says its kind (server/src/auth/secrets.rs): a session token would
  // stop working in 12 hours, an API key is not a person's.
  if (!/^awd_[\w-]+$/.test(token)) return t("not_a_device_token");
  let body;
  let status = 200;
  try {
    body = await request("/api/v1/auth/me", { token });
  } catch (err) {
    if (err instanceof TypeError) return t("device_token_offline");
    ({ body, status } = err);
  }
  if (status !== 200 || body?.kind !== "user") {
    const problem = body?.message_zh ? body : { message_zh: `服务器拒绝了设备令牌(${status})`, message_en: `the server refused the device token (${status})` };
    return `${t("device_token")}${t("colon")}${message(problem)}`;
  }
  await signedIn({ token, kind: "device", user: { username: body.name, role: body.role, scope_code: body.scope_code, counties: body.counties } });
  return null;
}

/** Keeps a credential the server accepted, then shows the form and syncs the queue. */
async function signedIn(session) {
  saveSession(session);
  state.expired = false;
  state.keepWorking = false;
  state.authProblem = null;
  state.pendingToken = null;
  state.linking = false;
  // Surveys saved before the queue knew its owners, on a phone nobody was signed in on
  // when it got this version: whose they are is unknown, so the next sign-in takes them,
  // as every sign-in did before.
  await queue.claimUnowned(owner());
  await loadRegions();
  render();
  trySync();
}

/**
 * A device token in the address (`/collect/#device-token=awd_…`, the link or QR code an
 * admin hands out), taken out of it at once so that it stays neither in the address bar
 * nor in the history. The fragment never reaches the server, nor its logs.
 */
function takeTokenFromAddress() {
  const match = /(?:^#|&)device-token=([^&]*)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/**
 * Signs out, asking first when the person still has surveys on the phone: send them now
 * (online only), keep them here (they go when the same person signs in again), or stay.
 */
async function signOut() {
  const waiting = (await queue.waitingByOwner()).get(owner()) ?? 0;
  if (!waiting) return endSignIn();
  const choice = await askBeforeSignOut(waiting);
  if (choice === "keep") return endSignIn();
  if (choice !== "send") return;
  await trySync();
  // Still signed in (a refused credential shows the sign-in instead): ask again if
  // something could not go.
  if (state.session && !state.expired) signOut();
}

/** The sign-out question; resolves to "send", "keep" or "cancel". */
function askBeforeSignOut(waiting) {
  const user = owner();
  const online = navigator.onLine;
  // Only a credential the server still takes can send them.
  const canSend = online && !state.expired;
  const dialog = el(
    "dialog",
    { id: "sign-out-dialog", class: "sign-out", "aria-labelledby": "sign-out-title" },
    el("h2", { id: "sign-out-title", text: t("sign_out_title") }),
    el("p", { id: "sign-out-waiting", text: t("sign_out_waiting", { n: waiting }) }),
    el("p", { class: "hint", text: t(online ? "sign_out_keep_note" : "sign_out_offline", { user }) }),
    el(
      "div",
      { class: "actions" },
      canSend ? el("button", { type: "button", class: "primary", value: "send", id: "sign-out-send", text: t("sign_out_send") }) : null,
      el("button", { type: "button", class: "secondary", value: "keep", id: "sign-out-keep", text: t("sign_out_keep") }),
      el("button", { type: "button", class: "link", value: "cancel", id: "sign-out-cancel", text: t("sign_out_cancel") }),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("click", (event) => {
      const choice = event.target.closest("button")?.value;
      if (choice) dialog.close(choice);
    });
    // Escape closes it too: as "cancel".
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue || "cancel");
    });
    dialog.showModal();
  });
}

/** Forgets the credential on this phone; the queue stays, each record with its owner. */
function endSignIn() {
  // A session is ended on the server; a device token is only forgotten here (the admin
  // revokes it, e.g. when the phone is lost).
  const token = state.session?.kind === "device" ? null : state.session?.token;
  saveSession(null);
  state.expired = false;
  state.keepWorking = false;
  state.authProblem = null;
  render();
  endSession(token);
}

function statusBar() {
  const again = state.expired ? el("button", { type: "button", class: "secondary", id: "sign-in-again", text: t("sign_in_again") }) : null;
  again?.addEventListener("click", () => {
    state.keepWorking = false;
    state.draft = document.getElementById("survey") ? { owner: owner(), survey: currentSurvey() } : null;
    render();
  });
  return el(
    "div",
    { class: "status-bar" },
    state.expired ? el("p", { class: "notice expired", id: "expired-banner", role: "status", text: t("expired_banner") }) : null,
    again,
    el("span", { id: "net", class: navigator.onLine ? "online" : "offline", text: navigator.onLine ? t("online") : t("offline") }),
    el("span", { id: "sync-message", class: "sync-message", text: syncMessage() }),
    el("button", { type: "button", id: "sync-now", text: state.syncing ? t("syncing") : t("sync_now"), disabled: state.syncing }),
  );
}

/** The outcome of the last sync, in the current language. */
function syncMessage() {
  const last = state.sync;
  if (!last) return "";
  if (last.failed === "unreachable") return t("unreachable");
  if (last.failed) return `${t("sync_failed")}: ${message(last.issue)}`;
  const time = last.at.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
  return `${t("last_sync")} ${time}` + (last.toFix ? ` · ${t("status_invalid")}: ${last.toFix}` : "");
}

function updateStatusBar() {
  const net = document.getElementById("net");
  if (!net) return;
  net.className = navigator.onLine ? "online" : "offline";
  net.textContent = navigator.onLine ? t("online") : t("offline");
  document.getElementById("sync-message").textContent = syncMessage();
  const button = document.getElementById("sync-now");
  button.textContent = state.syncing ? t("syncing") : t("sync_now");
  button.disabled = state.syncing;
}

function tabs() {
  const nav = el(
    "nav",
    { class: "tabs", role: "tablist" },
    el("button", { type: "button", role: "tab", "data-tab": "form", text: t("tab_form") }),
    el("button", { type: "button", role: "tab", "data-tab": "queue" }, t("tab_queue"), el("span", { class: "count", id: "queue-count" })),
    el("button", { type: "button", role: "tab", "data-tab": "mine" }, t("tab_mine"), el("span", { class: "count", id: "mine-count" })),
  );
  nav.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-tab]")?.dataset.tab;
    if (tab) showTab(tab);
  });
  return nav;
}

function showTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("[data-tab]")) button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  document.getElementById("form-view").hidden = tab !== "form";
  document.getElementById("queue-view").hidden = tab !== "queue";
  document.getElementById("mine-view").hidden = tab !== "mine";
}

// ---------------------------------------------------------------------------------------
// The form.

function formView() {
  const form = el("form", { id: "survey", novalidate: true, "data-survey-id": state.surveyId });
  if (state.correction) {
    form.append(el("p", { class: "notice correcting", id: "correcting", text: t("correcting", { version: state.correction.base_version }) }));
  }
  form.append(el("ul", { class: "issues summary", "data-for": "" }));

  const identityFields = el("div", { class: "grid" });
  for (const field of IDENTITY) {
    const spec = field.key === "county_code" ? { ...field, options: counties().map((c) => [c.code, c.label, c.label]) } : field;
    identityFields.append(fieldRow(spec, field.key));
  }
  identityFields.querySelector('[data-path="surveyed_on"]').append(el("p", { class: "hint", id: "survey-year" }));
  form.append(el("fieldset", { class: "card" }, el("legend", { text: t("identity") }), identityFields));

  const location = el("fieldset", { class: "card", "data-section": "location" }, el("legend", { text: t("location") }));
  location.append(
    el("div", { class: "gps" }, el("button", { type: "button", id: "gps", class: "secondary", text: t("use_gps") }), el("span", { id: "gps-status", class: "hint" })),
    el("div", { class: "grid" }, ...LOCATION.map((f) => fieldRow(f, f.key))),
    el("ul", { class: "issues", "data-for": "location" }),
  );
  form.append(location);

  for (const key of ["film", "pesticide_packaging"]) form.append(sectionView(key));
  form.append(strawView());
  form.append(sectionView("yak_dung"));
  form.append(photoView());

  form.append(
    el(
      "div",
      { class: "actions" },
      el("p", { id: "form-summary", class: "form-summary", role: "status" }),
      el("button", { type: "submit", id: "save", class: "primary", text: t("save") }),
      el("button", { type: "button", id: "new-survey", class: "secondary", text: t("new_survey") }),
      el("p", { id: "save-message", class: "notice", role: "status" }),
    ),
  );

  form.addEventListener("input", (event) => {
    if (event.target.name) state.touched.add(event.target.name);
    refresh();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name) state.touched.add(event.target.name);
    refresh();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveSurvey();
  });
  form.querySelector("#new-survey").addEventListener("click", () => newSurvey());
  form.querySelector("#gps").addEventListener("click", () => locate());

  return el("section", { id: "form-view" }, form);
}

function sectionView(key) {
  const box = el("input", { type: "checkbox", name: `has.${key}`, id: `has-${key}` });
  const body = el("div", { class: "grid section-body", hidden: true });
  for (const field of SECTIONS[key].fields) body.append(fieldRow(field, `${key}.${field.key}`));
  box.addEventListener("change", () => (body.hidden = !box.checked));
  return el(
    "fieldset",
    { class: "card", "data-section": key },
    el("legend", {}, t("sections")[key]),
    el("label", { class: "toggle", for: `has-${key}` }, box, t("section_present")),
    el("ul", { class: "issues", "data-for": key }),
    body,
  );
}

function strawView() {
  const add = el("button", { type: "button", id: "add-crop", class: "secondary", text: t("add_crop") });
  add.addEventListener("click", () => {
    addCrop();
    refresh();
  });
  return el(
    "fieldset",
    { class: "card", "data-section": "straw" },
    el("legend", { text: t("sections").straw }),
    el("ul", { class: "issues", "data-for": "straw" }),
    el("div", { id: "crops" }),
    add,
  );
}

/**
 * Appends a crop row (wire paths `straw[i].…`); returns it. The straw counted in bundles
 * or cart-loads (the `count` fields) sits in a box of its own after the weighed amount:
 * an option there for a crop with a 草谷比, and first in the row, open, for a crop
 * without one (showEstimates decides), since then it is the measure a technician can take.
 */
function addCrop() {
  const crops = document.getElementById("crops");
  const index = crops.children.length;
  const row = el("div", { class: "crop grid", "data-index": String(index) });
  const countFields = el("div", { class: "count-fields" });
  const countBox = el(
    "details",
    { class: "count-box", "data-count-for": `straw[${index}]` },
    el("summary", { text: t("count_title") }),
    el("p", { class: "count-note" }),
    countFields,
    el("p", { class: "count-total", "data-count-total-for": `straw[${index}]`, "aria-live": "polite" }),
  );
  for (const field of SECTIONS.straw.fields) {
    const fieldEl = fieldRow(field, `straw[${index}].${field.key}`);
    if (!field.count) row.append(fieldEl);
    else {
      if (!countFields.children.length) row.append(countBox);
      countFields.append(fieldEl);
    }
  }
  const remove = el("button", { type: "button", class: "link remove-crop", text: t("remove_crop") });
  remove.addEventListener("click", () => {
    const survey = currentSurvey();
    survey.straw.splice(index, 1);
    for (const existing of [...crops.children]) existing.remove();
    for (const crop of survey.straw) writeCrop(addCrop(), crop);
    refresh();
  });
  row.append(el("ul", { class: "issues", "data-for": `straw[${index}]` }), remove);
  crops.append(row);
  return row;
}

function photoView() {
  const input = el("input", { type: "file", id: "photo-input", accept: "image/*", capture: "environment", multiple: true });
  input.addEventListener("change", async () => {
    for (const file of input.files) {
      const shrunk = await downscale(file);
      state.photos.push({
        id: crypto.randomUUID(),
        blob: shrunk.blob,
        name: `${file.name.replace(/\.[^.]*$/, "") || "photo"}.jpg`,
        width: shrunk.width,
        height: shrunk.height,
        uploaded: false,
      });
    }
    input.value = "";
    renderPhotos();
  });
  return el(
    "fieldset",
    { class: "card", "data-section": "photos" },
    el("legend", { text: t("photos") }),
    el("label", { class: "file secondary", for: "photo-input" }, t("add_photo"), input),
    el("p", { class: "hint", text: t("photo_note") }),
    el("ul", { id: "photos", class: "photos" }),
  );
}

function renderPhotos() {
  const list = document.getElementById("photos");
  if (!list) return;
  for (const img of list.querySelectorAll("img")) URL.revokeObjectURL(img.src);
  list.replaceChildren(
    ...state.photos.map((photo) => {
      const remove = el("button", { type: "button", class: "link", text: t("remove_photo") });
      remove.addEventListener("click", () => {
        state.photos = state.photos.filter((p) => p.id !== photo.id);
        renderPhotos();
      });
      return el(
        "li",
        { "data-photo-id": photo.id, "data-width": String(photo.width), "data-height": String(photo.height) },
        el("img", { src: URL.createObjectURL(photo.blob), alt: photo.name }),
        el("span", { class: "hint", text: `${photo.width}×${photo.height} · ${Math.round(photo.blob.size / 1024)} KB` }),
        photo.uploaded ? null : remove,
      );
    }),
  );
}

/** Fills the form (once in the page) from a survey, or with the defaults for a new one. */
function startForm(survey) {
  const form = document.getElementById("survey");
  if (survey) {
    fillSurvey(form, survey, () => addCrop());
    renderPhotos();
    refresh();
  } else {
    setDefaults(form);
  }
}

function setDefaults(form) {
  const last = JSON.parse(localStorage.getItem(LAST_PLACE_KEY) ?? "{}");
  const county = form.querySelector('[name="county_code"]');
  if (last.county_code && [...county.options].some((o) => o.value === last.county_code)) county.value = last.county_code;
  for (const key of ["township", "village"]) if (last[key]) form.querySelector(`[name="${key}"]`).value = last[key];
  form.querySelector('[name="surveyed_on"]').value = todayInChina();
  form.querySelector('[name="technician"]').value = state.session.user.username;
  form.querySelector('[name="weight"]').value = "1";
  refresh();
  locateIfAllowed();
}

function currentSurvey() {
  return readSurvey(document.getElementById("survey"), { id: state.surveyId, technician: state.session.user.username });
}

/** Re-validates and shows issues (touched fields only until the first save attempt). */
function refresh() {
  const form = document.getElementById("survey");
  if (!form) return [];
  const survey = currentSurvey();
  const issues = validate(survey);
  const shown = state.submitted ? issues : issues.filter((issue) => isTouched(issue.path));
  // A reviewer's comments stay at their fields while the survey is corrected.
  showIssues(form, [...(state.correction?.review ? mine.reviewIssues(state.correction.review) : []), ...shown]);
  const errors = issues.filter((i) => i.severity === "error").length;
  const warnings = issues.length - errors;
  const summary = document.getElementById("form-summary");
  // The counts, like the issues, once the person tried to save.
  summary.textContent = !state.submitted ? "" : errors ? t("form_has_errors", { n: errors }) : warnings ? t("form_warnings", { n: warnings }) : "";
  summary.className = `form-summary ${!state.submitted ? "" : errors ? "error" : warnings ? "warning" : ""}`;
  const year = survey.surveyed_on && /^\d{4}/.test(survey.surveyed_on) ? survey.surveyed_on.slice(0, 4) : "—";
  document.getElementById("survey-year").textContent = `${t("survey_year")}: ${year}`;
  showEstimates(form, survey);
  return issues;
}

function isTouched(path) {
  if (!path) return false;
  // `location` (a point outside the county) is touched through location.lat and .lon.
  for (const name of state.touched) if (name === path || name.startsWith(`${path}.`)) return true;
  return false;
}

function showEstimates(form, survey) {
  const format = (kg) => formatNumber(kg, { maximumFractionDigits: 0 });
  const coefficients = coefficientsFor(survey);
  const describe = (json, estimator) => {
    try {
      const estimate = JSON.parse(estimator(json, coefficients));
      if (!estimate.amount) return t(estimate.cannot_estimate === "unconfirmed_coefficient" ? "estimate_unconfirmed" : "estimate_none");
      return estimate.amount.source === "measured" ? t("estimate_measured") : t("estimate_estimated", { kg: format(estimate.amount.kg) });
    } catch {
      return "";
    }
  };
  survey.straw.forEach((crop, index) => {
    const slot = form.querySelector(`[data-estimate-for="straw[${index}].straw_kg"]`);
    // Counted straw says its total in the count box.
    if (slot) slot.textContent = crop.straw_kg === undefined && !crop.straw_count ? describe(JSON.stringify(crop), estimateStraw) : "";
    showCount(form.querySelector(`.crop[data-index="${index}"]`), crop, coefficients);
  });
  const dungSlot = form.querySelector('[data-estimate-for="yak_dung.produced_kg"]');
  if (dungSlot) dungSlot.textContent = survey.yak_dung && survey.yak_dung.produced_kg === undefined ? describe(JSON.stringify(survey.yak_dung), estimateDung) : "";
}

// The count box of a crop row: prominent, first and open for a crop the coefficients give
// no 草谷比 for this county and year (the analytics module says, from a probe of one kg of
// yield), an option otherwise; and the total counted, computed by the module as the
// server computes it, live.
function showCount(row, crop, coefficients) {
  const box = row?.querySelector(".count-box");
  if (!box) return;
  let noRatio = false;
  let total = null;
  try {
    noRatio = JSON.parse(estimateStraw(JSON.stringify({ crop: crop.crop, yield_kg: 1 }), coefficients)).cannot_estimate === "unconfirmed_coefficient";
    if (crop.straw_count && crop.straw_kg === undefined) {
      const estimate = JSON.parse(estimateStraw(JSON.stringify(crop), coefficients));
      if (estimate.amount?.source === "counted") total = estimate.amount.kg;
    }
  } catch {
    // A count not yet a number: the validation message at the field says so.
  }
  row.classList.toggle("no-ratio", noRatio);
  // Set open or closed only when the crop (or what is known of its ratio) changes, so
  // that typing never folds the box away from the person.
  const shownFor = `${crop.crop}|${noRatio}`;
  if (box.dataset.shownFor !== shownFor) {
    box.dataset.shownFor = shownFor;
    box.open = noRatio || Boolean(crop.straw_count);
  }
  const option = SECTIONS.straw.fields[0].options.find((o) => o[0] === crop.crop);
  const cropName = option ? pick({ zh: option[1], en: option[2] }) : "";
  box.querySelector(".count-note").textContent = noRatio ? t("count_no_ratio", { crop: cropName }) : t("count_option");
  const count = crop.straw_count;
  box.querySelector(".count-total").textContent = total == null ? "" : t("count_total", {
    kg: formatNumber(total, { maximumFractionDigits: 1 }),
    n: formatNumber(count.count, { maximumFractionDigits: 1 }),
    unit: t(count.unit === "cartload" ? "unit_cartload" : "unit_bundle"),
    each: formatNumber(count.kg_each, { maximumFractionDigits: 2 }),
  });
}

async function saveSurvey() {
  state.submitted = true;
  const issues = refresh();
  const form = document.getElementById("survey");
  const saveMessage = document.getElementById("save-message");
  if (issues.some((i) => i.severity === "error")) {
    saveMessage.textContent = "";
    form.querySelector(".has-error input, .has-error select, .issues li.error")?.scrollIntoView({ block: "center" });
    return;
  }
  const survey = currentSurvey();
  await queue.save(survey, state.photos, owner(), state.correction?.base_version ?? null);
  localStorage.setItem(LAST_PLACE_KEY, JSON.stringify({ county_code: survey.county_code, township: survey.township, village: survey.village }));
  const savedId = survey.id;
  newSurvey();
  document.getElementById("save-message").textContent = t("saved_queued");
  await trySync();
  const record = await queue.get(savedId);
  const note = document.getElementById("save-message");
  if (note && record?.status === "sent") note.textContent = t("saved_sent");
}

/** Clears the form for the next household, keeping county, township, village and date. */
function newSurvey(record, correction = null) {
  // A queued correction edited again is still a correction of the same version.
  state.correction = correction ?? (record?.base_version != null ? { base_version: record.base_version, review: mine.find(owner(), record.id)?.review ?? null } : null);
  state.surveyId = record?.id ?? crypto.randomUUID();
  state.photos = record ? record.photos.slice() : [];
  state.touched = new Set();
  state.submitted = false;
  document.getElementById("form-view").replaceWith(formView());
  if (record) {
    state.submitted = true;
    document.getElementById("save").textContent = t("save_edit");
  }
  startForm(record?.survey);
  renderPhotos();
  showTab("form");
}

// ---------------------------------------------------------------------------------------
// GPS.

function fillPosition(position) {
  const form = document.getElementById("survey");
  if (!form) return;
  const { latitude, longitude, accuracy } = position.coords;
  form.querySelector('[name="location.lat"]').value = String(Math.round(latitude * 1e6) / 1e6);
  form.querySelector('[name="location.lon"]').value = String(Math.round(longitude * 1e6) / 1e6);
  form.querySelector('[name="location.accuracy_m"]').value = String(Math.round(accuracy * 10) / 10);
  document.getElementById("gps-status").textContent = `±${Math.round(accuracy)} m`;
  state.touched.add("location.lat");
  refresh();
}

function locate() {
  const status = document.getElementById("gps-status");
  if (!("geolocation" in navigator)) {
    status.textContent = t("gps_unavailable");
    return;
  }
  status.textContent = t("gps_waiting");
  navigator.geolocation.getCurrentPosition(fillPosition, () => (status.textContent = t("gps_denied")), {
    enableHighAccuracy: true,
    timeout: 30000,
    maximumAge: 60000,
  });
}

/** Fills the position by itself when the person already allowed it (no prompt). */
async function locateIfAllowed() {
  try {
    const permission = await navigator.permissions.query({ name: "geolocation" });
    const form = document.getElementById("survey");
    if (permission.state === "granted" && form && !form.querySelector('[name="location.lat"]').value) locate();
  } catch {
    // No Permissions API: wait for the button.
  }
}

// ---------------------------------------------------------------------------------------
// Queue and sync.

function queueView() {
  return el("section", { id: "queue-view", hidden: true }, el("ul", { id: "queue", class: "queue" }), el("ul", { class: "waiting-for", id: "others-waiting" }));
}

const STATUS_KEY = { queued: "status_queued", sent: "status_sent", invalid: "status_invalid", conflict: "status_conflict", stale: "status_stale" };

async function renderQueue() {
  const list = document.getElementById("queue");
  if (!list) return;
  // Only the signed-in person's records: others' are theirs to edit and send.
  const records = (await queue.all()).filter((r) => r.owner === owner());
  showWaitingFor(document.getElementById("others-waiting"), owner());
  const waiting = records.filter(queue.isWaiting).length;
  const count = document.getElementById("queue-count");
  if (count) count.textContent = waiting ? String(waiting) : "";
  if (!records.length) {
    list.replaceChildren(el("li", { class: "empty", text: t("queue_empty") }));
    return;
  }
  list.replaceChildren(
    ...records.map((record) => {
      const s = record.survey;
      const sections = ["film", "pesticide_packaging", "straw", "yak_dung"]
        .filter((key) => (Array.isArray(s[key]) ? s[key].length : s[key]))
        .map((key) => t("sections")[key])
        .join("、");
      const pending = record.photos.filter((p) => !p.uploaded).length;
      const uploaded = record.photos.length - pending;
      const item = el(
        "li",
        { class: `record ${record.status}`, "data-id": record.id, "data-status": record.status, "data-photos-pending": String(pending) },
        el(
          "div",
          { class: "record-head" },
          el("strong", { text: `${s.household || "—"}` }),
          el("span", { class: `badge ${record.status}`, text: t(STATUS_KEY[record.status]) }),
        ),
        el("p", { class: "hint", text: `${countyName(s.county_code)} ${[s.township, s.village].filter(Boolean).join(" / ")} · ${s.surveyed_on} · ${sections || t("none")}` }),
        pending ? el("p", { class: "photos-pending", text: t("photos_pending", { n: pending }) }) : null,
        uploaded ? el("p", { class: "hint", text: t("photos_sent", { n: uploaded }) }) : null,
      );
      const problems = [...record.errors.map((e) => ({ ...e, severity: "error" })), ...record.warnings.map((w) => ({ ...w, severity: "warning" }))];
      for (const photo of record.photos.filter((p) => p.error)) problems.push({ ...photo.error, path: "", severity: "error" });
      if (problems.length) {
        item.append(
          el(
            "ul",
            { class: "record-issues" },
            ...problems.map((p) =>
              el("li", { class: p.severity, "data-path": p.path, text: `${p.path ? `${labelOf(p.path)}: ` : ""}${message(p)}` }),
            ),
          ),
        );
      }
      if (record.base_version != null && record.status !== "sent") item.append(el("p", { class: "hint", text: t("correction_of", { version: record.base_version }) }));
      const actions = el("div", { class: "record-actions" });
      if (record.status === "stale") {
        item.append(compareView(record));
        const keepPhone = el("button", { type: "button", class: "primary keep-phone", text: t("keep_phone") });
        keepPhone.addEventListener("click", async () => {
          await queue.keepPhone(record.id);
          trySync();
        });
        const keepServer = el("button", { type: "button", class: "secondary keep-server", text: t("keep_server") });
        keepServer.addEventListener("click", () => queue.keepServer(record.id).then(renderMine));
        actions.append(keepPhone, keepServer);
      } else if (record.status !== "sent") {
        const edit = el("button", { type: "button", class: "secondary", text: t("edit") });
        edit.addEventListener("click", () => {
          // A conflicting id is taken: the corrected survey goes under a new one.
          const copy = record.status === "conflict" ? { ...record, id: crypto.randomUUID(), survey: { ...s } } : record;
          if (record.status === "conflict") copy.survey.id = copy.id;
          newSurvey(copy);
        });
        actions.append(edit);
      } else if (!pending) {
        const remove = el("button", { type: "button", class: "link", text: t("remove") });
        remove.addEventListener("click", () => queue.remove(record.id));
        actions.append(remove);
      }
      item.append(actions);
      return item;
    }),
  );
}

/** Syncs when online and signed in; shows the outcome. Never loses the queue. */
async function trySync() {
  if (!state.session || state.expired || !navigator.onLine) {
    updateStatusBar();
    return;
  }
  state.syncing = true;
  updateStatusBar();
  try {
    const summary = await queue.sync(state.session.token, owner());
    state.sync = { at: new Date(), toFix: summary.invalid + summary.conflict + summary.stale };
    // What the reviewers decided on this person's surveys, for the list and offline.
    await mine.refresh(state.session.token, owner()).catch(() => {});
  } catch (err) {
    if (err instanceof queue.SessionExpired) {
      // Whatever is in the form waits for the new sign-in; the queue is untouched.
      state.draft = document.getElementById("survey") ? { owner: owner(), survey: currentSurvey() } : null;
      state.expired = true;
      state.keepWorking = false;
      state.authProblem = err.body ?? null;
      state.signInMode = state.session.kind === "device" ? "device" : "password";
      state.syncing = false;
      render();
      return;
    }
    state.sync = err instanceof queue.Unreachable ? { failed: "unreachable" } : { failed: "error", issue: err.body ?? { message_zh: err.message, message_en: err.message } };
  } finally {
    state.syncing = false;
  }
  updateStatusBar();
  renderQueue();
  renderMine();
}

/**
 * A correction the server's version overtook, side by side: every field that differs,
 * with the server's value and the phone's, by label and with units.
 */
function compareView(record) {
  const { server } = record;
  const text = (path, value) => {
    const field = fieldAt(path);
    return field ? valueText(field, value) : value == null ? "—" : String(value);
  };
  const rows = changedFields(server.survey, record.survey).map(([path, theirs, ours]) =>
    el("tr", { "data-path": path }, el("th", { scope: "row", text: labelOf(path) }), el("td", { class: "server", text: text(path, theirs) }), el("td", { class: "phone", text: text(path, ours) })),
  );
  return el(
    "div",
    { class: "compare" },
    el("p", { text: t("stale_explained", { version: server.version, by: server.updated_by, at: new Date(server.updated_at).toLocaleString(locale()) }) }),
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, el("th", { text: t("field") }), el("th", { text: t("server_version", { version: server.version }) }), el("th", { text: t("phone_version") }))),
      el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 3, text: t("same_content") }))])),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// My surveys: what the server holds of this person's surveys, with the reviewers'
// decisions (mine.js keeps the last answer for offline use).

function mineView() {
  return el("section", { id: "mine-view", hidden: true }, el("p", { class: "hint", id: "mine-as-of" }), el("ul", { id: "mine", class: "queue" }));
}

async function renderMine() {
  const list = document.getElementById("mine");
  if (!list || !state.session) return;
  const kept = mine.cached(owner());
  // A correction waiting on the phone is the person's answer already.
  const local = new Map((await queue.all()).filter((r) => r.owner === owner() && r.base_version != null && r.status !== "sent").map((r) => [r.id, r]));
  const items = kept?.items ?? [];
  const toAct = items.filter((item) => mine.needsAction(item) && !local.has(item.survey.id)).length;
  document.getElementById("mine-count").textContent = toAct ? String(toAct) : "";
  document.getElementById("mine-as-of").textContent = kept ? t("mine_as_of", { at: new Date(kept.at).toLocaleString(locale()) }) : t("mine_not_yet");
  if (!items.length) {
    list.replaceChildren(el("li", { class: "empty", text: t("mine_empty") }));
    return;
  }
  list.replaceChildren(
    ...items.map((item) => {
      const s = item.survey;
      const review = item.review;
      const phoneState = mine.PHONE_STATE[review.state] ?? "awaiting";
      const pending = local.get(s.id);
      const correct = el("button", { type: "button", class: `${mine.needsAction(item) ? "primary" : "secondary"} correct`, text: t(pending ? "continue_correction" : "correct") });
      correct.addEventListener("click", () => openCorrection(item, pending));
      return el(
        "li",
        { class: `record mine-item ${phoneState}`, "data-id": s.id, "data-state": review.state },
        el("div", { class: "record-head" }, el("strong", { text: s.household || "—" }), el("span", { class: `badge mine-state ${phoneState}`, text: t(`phone_${phoneState}`) })),
        el("p", { class: "hint", text: `${countyName(s.county_code)} ${[s.township, s.village].filter(Boolean).join(" / ")} · ${s.surveyed_on} · ${t("version_n", { version: item.version })}` }),
        review.comment ? el("p", { class: "mine-comment" }, el("strong", { text: t("reviewer_said") }), el("q", { text: review.comment })) : null,
        review.field_comments?.length
          ? el("ul", { class: "mine-field-comments" }, ...review.field_comments.map((c) => el("li", { "data-path": c.path }, el("strong", { text: `${labelOf(c.path)}: ` }), c.comment)))
          : null,
        pending ? el("p", { class: "photos-pending", text: t(pending.status === "stale" ? "mine_local_stale" : "mine_local_pending") }) : null,
        el("div", { class: "record-actions" }, correct),
      );
    }),
  );
}

/** Loads one of the person's synced surveys into the form, to correct it (offline too). */
async function openCorrection(item, pending) {
  const review = item.review;
  if (pending && pending.status !== "stale") {
    newSurvey(pending, { base_version: pending.base_version, review });
    return;
  }
  const onPhone = await queue.get(item.survey.id);
  const record = { id: item.survey.id, survey: structuredClone(item.survey), photos: onPhone?.owner === owner() ? onPhone.photos : [] };
  newSurvey(record, { base_version: item.version, review });
}

// ---------------------------------------------------------------------------------------
// Start.

queue.onChange(() => {
  renderQueue();
  renderMine();
});
window.addEventListener("online", () => {
  updateStatusBar();
  trySync();
});
window.addEventListener("offline", () => updateStatusBar());
document.addEventListener("click", (event) => {
  if (event.target.id === "sync-now") trySync();
});

/**
 * Registers the service worker once the analytics module has loaded, so that its install
 * takes the module from the HTTP cache rather than downloading it again. It is told the
 * release's versioned prefix this module was loaded from (see sw.js).
 */
function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const assets = new URL(import.meta.url).pathname.match(/^\/v\/[0-9a-f]+\//)?.[0] ?? "/";
  navigator.serviceWorker
    .register(`./sw.js?assets=${encodeURIComponent(assets)}`, { scope: "./" })
    .catch((err) => console.warn("service worker not registered", err));
}

try {
  await init();
} catch (err) {
  app.replaceChildren(el("p", { class: "error", text: `analytics module not loaded: ${err}` }));
  throw err;
} finally {
  registerWorker();
}
if (state.session && !state.regions.length) await loadRegions();
if (state.session) await queue.claimUnowned(owner());
if (linkToken) {
  // Signs in with the link's token, as if typed on the sign-in screen (which shows why,
  // if it is refused, with the token still in its field).
  state.linking = true;
  state.signInMode = "device";
  state.pendingToken = linkToken;
}
render();
document.body.dataset.ready = "true";
if (linkToken) document.getElementById("device-sign-in").requestSubmit();
else trySync();
