// The administrator's page: users, technicians' device tokens (with the sign-in link and
// its QR code), API keys and the audit log, all through the API an admin could also call
// with curl. Nothing here decides who may do what: the server refuses, the page shows why.
//
// Secrets (a new device token, a new API key, a generated password) come back from the
// server once, in the answer to the POST that created them. They are put on screen and
// nowhere else: never in a URL the page requests, never in storage, never in the console,
// and they are removed from the page when the admin presses "done". The device-token link
// carries the secret in the fragment (`/collect/#device-token=…`), which browsers do not
// send to the server; its QR code is drawn here, in the browser. The link starts with the
// server's public address (`GET /api/v1/server`), and the page warns when that is unset or
// is not the address this browser used.
import { request } from "../shared/api.js";
import { $, el } from "../shared/dom.js";
import { applyLanguage as applyPageLanguage, showFailureLine as showFailure, startPage } from "../shared/page.js";
import { PAGES, ROLES as ROLE_NAMES } from "../shared/glossary.js";
import { en, formatNumber, locale, t, useWords } from "../shared/words.js";
import qrcode from "../vendor/node_modules/qrcode-generator/dist/qrcode.mjs";
import { PLANNING_WORDS, relabelPlanning, startPlanning } from "./planning.js";

const WORDS = {
  brand: ["农业废弃物调查", "Agricultural waste surveys"],
  title: PAGES.admin,
  signin_title: ["管理员登录", "Administrator sign-in"],
  forbidden_title: ["需要管理员权限", "Admin only"],
  forbidden_text: ["此页面只对管理员开放。您已登录为", "This page is for administrators. You are signed in as"],
  full_stop: ["。", "."],
  to_dashboard: ["前往指标看板", "Go to the dashboard"],
  to_collect: ["前往调查表", "Go to the survey form"],
  users_title: ["用户", "Users"],
  keys_title: ["API 密钥", "API keys"],
  audit_title: ["审计日志", "Audit log"],
  new_user: ["新建用户", "New user"],
  new_user_title: ["新建用户", "New user"],
  edit_user_title: ["编辑用户 {name}", "Edit user {name}"],
  username_hint: ["3–64 个字母、数字或 - _ .", "3–64 letters, digits, - _ ."],
  display_name: ["显示名称", "Display name"],
  role: ["角色", "Role"],
  scope: ["管辖区域", "Region"],
  counties: ["负责的县", "Counties"],
  password_initial: ["初始密码(留空则自动生成)", "Initial password (blank: generate one)"],
  password_new: ["新密码(留空则不变)", "New password (blank: unchanged)"],
  active_label: ["启用(停用后不能登录,设备令牌失效)", "Active (a disabled user cannot sign in; their device tokens stop working)"],
  save: ["保存", "Save"],
  cancel: ["取消", "Cancel"],
  done: ["完成", "Done"],
  close: ["关闭", "Close"],
  created_user: ["已创建用户 {name}", "Created user {name}"],
  updated_user: ["已保存用户 {name}", "Saved user {name}"],
  generated_password: ["自动生成的初始密码(仅显示这一次):", "Generated initial password (shown only this once):"],
  choose_region: ["— 请选择 —", "— choose —"],
  col_username: ["用户名", "Username"],
  col_role: ["角色", "Role"],
  col_scope: ["管辖区域", "Region"],
  col_counties: ["县", "Counties"],
  col_active: ["状态", "Status"],
  col_actions: ["操作", "Actions"],
  active: ["启用", "active"],
  inactive: ["停用", "disabled"],
  edit: ["编辑", "Edit"],
  device_tokens: ["设备令牌", "Device tokens"],
  devices_title: ["设备令牌", "Device tokens"],
  devices_hint: [
    "设备令牌让农技员的手机长期保持登录(不过期),离线多日也能在联网后同步。手机丢失时请撤销。",
    "A device token keeps a technician's phone signed in (it does not expire), so it can sync after days offline. Revoke it when the phone is lost.",
  ],
  token_label: ["标签(如手机型号)", "Label (e.g. the phone)"],
  issue_token: ["签发令牌", "Issue token"],
  token_once_title: ["用手机扫描二维码登录", "Scan the QR code with the phone to sign in"],
  token_once_warning: [
    "链接和二维码只显示这一次,关闭后无法再次查看;请勿通过不安全的渠道发送。",
    "The link and QR code are shown only this once and cannot be shown again; do not send them over insecure channels.",
  ],
  token_for: ROLE_NAMES.technician,
  token_link: ["登录链接", "Sign-in link"],
  copy_link: ["复制链接", "Copy link"],
  print: ["打印", "Print"],
  copied: ["已复制", "Copied"],
  copy_failed: ["无法复制,请手动选择文本", "Could not copy; select the text by hand"],
  qr_label: ["登录二维码", "Sign-in QR code"],
  public_url_unset: [
    "未设置服务器公开地址(--public-url / AGRIWASTE_PUBLIC_URL):设备令牌的链接和二维码将使用本浏览器访问的地址 {origin},手机可能无法访问。",
    "The server's public address is not set (--public-url / AGRIWASTE_PUBLIC_URL): device-token links and QR codes use the address this browser used, {origin}, which phones may not reach.",
  ],
  public_url_differs: [
    "服务器公开地址为 {public},与本浏览器访问的地址 {origin} 不同;设备令牌的链接和二维码使用 {public}。",
    "The server's public address is {public}, not {origin} as in this browser; device-token links and QR codes use {public}.",
  ],
  col_label: ["标签", "Label"],
  col_created: ["签发时间", "Created"],
  col_created_by: ["签发人", "By"],
  col_last_used: ["最近使用", "Last used"],
  col_expires: ["到期", "Expires"],
  never: ["从未", "never"],
  no_expiry: ["不过期", "no expiry"],
  valid: ["有效", "active"],
  expired: ["已过期", "expired"],
  confirm_revoke_token: ["撤销设备令牌“{name}”?该手机将无法再同步,需重新登录。", "Revoke the device token \"{name}\"? The phone will stop syncing until it signs in again."],
  confirm_revoke_key: ["撤销 API 密钥“{name}”?使用它的系统将无法再访问。", "Revoke the API key \"{name}\"? Systems using it lose access."],
  none_yet: ["暂无", "none yet"],
  keys_hint: ["API 密钥供其他系统只读调用(X-API-Key),范围限于一个区域。", "API keys let other systems read (X-API-Key) within one region."],
  key_name: ["用途", "Purpose"],
  expires_optional: ["到期日(可选)", "Expires on (optional)"],
  create_key: ["创建密钥", "Create key"],
  key_once_warning: ["密钥只显示这一次,请立即复制保存。", "The key is shown only this once: copy it now."],
  key_secret: ["密钥", "Key"],
  copy_key: ["复制密钥", "Copy key"],
  col_key_name: ["用途", "Purpose"],
  actor: ["操作人", "Actor"],
  action: ["操作", "Action"],
  entity_type: ["对象类型", "Entity type"],
  entity_id: ["对象 ID", "Entity id"],
  filter: ["筛选", "Filter"],
  clear: ["清除", "Clear"],
  newer: ["← 较新", "← Newer"],
  older: ["较早 →", "Older →"],
  page_n: ["第 {n} 页", "page {n}"],
  col_at: ["时间", "When"],
  col_address: ["来源地址", "Address"],
  col_details: ["变更", "Change"],
  details: ["详情", "details"],
  before: ["变更前", "before"],
  after: ["变更后", "after"],
  no_entries: ["没有符合条件的记录", "no matching entries"],
  any: ["全部", "any"],
  fix_fields: ["请修改标出的项目", "Please correct the marked fields"],
};

const ROLES = ["technician", "viewer", "reviewer", "admin"];
/** The audit log's actions and entity types, as the server writes them. */
const ACTIONS = [
  "survey.create", "survey.correct", "survey.review", "attachment.add",
  "user.create", "user.update", "device_token.issue", "device_token.revoke",
  "api_key.create", "api_key.revoke", "coefficient.set", "coefficient.delete",
  "target.set", "target.delete", "group.create", "group.update", "group.delete",
];
const ENTITY_TYPES = ["survey", "user", "credential", "coefficient", "target", "group"];
const AUDIT_PAGE = 50;

useWords({ ...WORDS, ...PLANNING_WORDS });

const state = {
  me: null,
  regions: [],
  byCode: new Map(),
  users: [],
  editing: null, // the user being edited, or null when the form creates one
  deviceUser: null, // the user whose device tokens are shown
  tokens: [],
  keys: [],
  audit: { filter: {}, cursors: [null], page: 0, items: [], next: null },
  publicUrl: undefined, // the address phones reach (the server's --public-url); null when unset, undefined until asked
};

const regionName = (code) => {
  const r = state.byCode.get(code);
  if (!r) return code || "—";
  return en() ? r.name_en : r.name_zh;
};
const dateTime = (iso) =>
  iso ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "—";

/** A text in both languages that follows the language switch (an API message). */
function bilingual(zhText, enText) {
  return el("span", { "data-zh": zhText, "data-en": enText }, en() ? enText : zhText);
}

// ---- start, sign-in, language ----------------------------------------------------------

async function start() {
  applyLanguage();
  let me;
  try {
    me = await request("/api/v1/auth/me");
  } catch (err) {
    if (err.status !== 401) throw err;
    showOnly("#signin");
    document.body.dataset.state = "signin";
    return;
  }
  state.me = me;
  $("#signout").hidden = false;
  if (me.role !== "admin") {
    showForbidden();
    showOnly("#forbidden");
    document.body.dataset.state = "forbidden";
    return;
  }
  const [regions, server] = await Promise.all([request("/api/v1/regions"), request("/api/v1/server")]);
  state.regions = regions;
  state.publicUrl = server.public_url ?? null;
  renderPublicUrlWarning();
  state.byCode = new Map(state.regions.map((r) => [r.code, r]));
  fillStaticSelects();
  showOnly("#admin-app");
  await Promise.all([
    loadUsers(), loadKeys(), loadAudit(),
    startPlanning({
      me, regions: state.regions, byCode: state.byCode, regionName,
      guarded, showProblems, clearProblems, fillTable, bilingual, loadAudit,
    }),
  ]);
  document.body.dataset.state = "ready";
}

function showForbidden() {
  const me = state.me;
  $("#forbidden-who").textContent = `${me.name}${me.role ? ` (${t(`role_${me.role}`)})` : ""}`;
}

function showOnly(selector) {
  for (const s of ["#signin", "#forbidden", "#admin-app"]) $(s).hidden = s !== selector;
}

/** The page in the current language, with the texts it keeps in both (the API's messages). */
function applyLanguage() {
  applyPageLanguage();
  for (const n of document.querySelectorAll("[data-zh]")) n.textContent = en() ? n.dataset.en : n.dataset.zh;
  if (state.publicUrl !== undefined) renderPublicUrlWarning();
  const qr = $("#token-qr svg");
  if (qr) qr.setAttribute("aria-label", t("qr_label"));
}

/**
 * Where a phone opens the sign-in link: the server's public address when the operator set
 * one, else the address this browser used (on the server itself that is 127.0.0.1, which no
 * phone reaches: hence the warning).
 */
const phoneBase = () => state.publicUrl ?? location.origin;

/** Warns when the links would carry a guessed address, or one other than this browser's. */
function renderPublicUrlWarning() {
  const sameAsHere = state.publicUrl !== null && location.href.startsWith(`${state.publicUrl}/`);
  const text = state.publicUrl === null
    ? t("public_url_unset", { origin: location.origin })
    : t("public_url_differs", { public: state.publicUrl, origin: location.origin });
  for (const warning of document.querySelectorAll(".public-url-warning")) {
    warning.hidden = sameAsHere;
    warning.textContent = sameAsHere ? "" : `⚠ ${text}`;
  }
}

/** Runs an action; a 401 (session ended) shows the sign-in, anything else the failure line. */
function guarded(action) {
  return (...args) =>
    action(...args).catch((err) => {
      if (err.status === 401) {
        clearSecrets();
        showOnly("#signin");
        document.body.dataset.state = "signin";
      } else showFailure(err);
    });
}

// ---- selects ---------------------------------------------------------------------------

/** Options for every region as an indented outline (province, prefecture, county). */
function regionOptions(select, placeholder) {
  const current = select.value;
  const depth = { province: 0, prefecture: 1, county: 2 };
  select.replaceChildren(el("option", { value: "" }, placeholder));
  for (const r of state.regions) {
    const pad = "\u3000".repeat(depth[r.level] ?? 0);
    select.append(el("option", { value: r.code }, `${pad}${regionName(r.code)} ${r.code}`));
  }
  select.value = current;
}

function fillStaticSelects() {
  const role = $("#user-form [name=role]");
  const roleValue = role.value || "technician";
  role.replaceChildren(...ROLES.map((r) => el("option", { value: r }, t(`role_${r}`))));
  role.value = roleValue;
  regionOptions($("#user-form [name=scope_code]"), t("choose_region"));
  regionOptions($("#key-form [name=scope_code]"), t("choose_region"));
  for (const [name, values] of [["action", ACTIONS], ["entity_type", ENTITY_TYPES]]) {
    const select = $(`#audit-filters [name=${name}]`);
    const value = select.value;
    select.replaceChildren(el("option", { value: "" }, t("any")), ...values.map((v) => el("option", { value: v }, v)));
    select.value = value;
  }
  renderCountyBoxes();
}

/** County checkboxes, grouped by prefecture, keeping what is ticked. */
function renderCountyBoxes() {
  const box = $("#county-boxes");
  const ticked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  box.replaceChildren();
  for (const prefecture of state.regions.filter((r) => r.level === "prefecture")) {
    const group = el("div", { class: "county-group" }, el("strong", {}, regionName(prefecture.code)));
    for (const code of prefecture.children) {
      group.append(el("label", { class: "check" },
        el("input", { type: "checkbox", name: "counties", value: code, checked: ticked.has(code) }),
        ` ${regionName(code)} ${code}`));
    }
    box.append(group);
  }
}

// ---- field errors ----------------------------------------------------------------------

/**
 * Puts the API's problems next to the fields they name (`path`, or each of `errors`):
 * `form` is the form, `prefix` its error ids' prefix (`user-err-`). A problem naming no
 * field of the form goes to the form's error line.
 */
function showProblems(form, prefix, err) {
  clearProblems(form, prefix);
  const body = err.body;
  if (!body) {
    $(`#${form.id}-error`).textContent = err.message;
    return;
  }
  const problems = body.errors && body.errors.length ? body.errors : [body];
  let placed = 0;
  for (const p of problems) {
    const field = p.path ? p.path.split(/[.[]/)[0] : "";
    const slot = field && document.getElementById(`${prefix}${field}`);
    if (slot && !slot.closest("[hidden]")) {
      slot.append(bilingual(p.message_zh, p.message_en));
      // A group of boxes (the counties) is marked as a whole, a single field by itself.
      const input = slot.closest("fieldset") ?? form.querySelector(`[name="${field}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
      placed += 1;
    } else {
      $(`#${form.id}-error`).append(bilingual(p.message_zh, p.message_en));
    }
  }
  if (placed) {
    const summary = $(`#${form.id}-error`);
    if (!summary.textContent) summary.append(bilingual(WORDS.fix_fields[0], WORDS.fix_fields[1]));
    const first = form.querySelector("[aria-invalid=true]");
    const focusable = first && first.tagName === "FIELDSET" ? first.querySelector("input") : first;
    if (focusable) focusable.focus();
  }
}

function clearProblems(form, prefix) {
  for (const slot of form.querySelectorAll(`[id^="${prefix}"]`)) slot.replaceChildren();
  for (const n of form.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
  $(`#${form.id}-error`).replaceChildren();
}

// ---- tables ----------------------------------------------------------------------------

/** Fills a table: a header of the words `columns`, the `rows`, or one row saying `empty`. */
function fillTable(selector, columns, rows, empty) {
  const head = el("tr", {}, ...columns.map((k) => el("th", { scope: "col" }, t(k))));
  if (!rows.length && empty) rows.push(el("tr", {}, el("td", { colspan: columns.length }, t(empty))));
  $(selector).replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

/** The button revoking a credential (a device token, an API key), unless it is revoked. */
function revokeButton(credential, revoke) {
  if (credential.revoked_at) return null;
  return el("button", {
    type: "button", class: "small danger", "data-action": "revoke", "aria-label": `${t("revoke")} ${credential.name}`,
    onclick: guarded(() => revoke(credential)),
  }, t("revoke"));
}

// ---- users -----------------------------------------------------------------------------

async function loadUsers() {
  state.users = await request("/api/v1/users");
  state.users.sort((a, b) => a.username.localeCompare(b.username));
  renderUsers();
}

function renderUsers() {
  const rows = state.users.map((u) =>
    el("tr", { "data-username": u.username },
      el("td", {}, el("strong", {}, u.username), u.display_name !== u.username ? el("div", { class: "sub" }, u.display_name) : null),
      el("td", {}, t(`role_${u.role}`)),
      el("td", {}, u.scope_code ? regionName(u.scope_code) : "—"),
      el("td", { class: "wrap" }, u.counties.length ? u.counties.map(regionName).join("、") : "—"),
      el("td", {}, el("span", { class: `state ${u.active ? "on" : "off"}` }, u.active ? `✓ ${t("active")}` : `✕ ${t("inactive")}`)),
      el("td", { class: "row-actions" },
        el("button", { type: "button", class: "small", "data-action": "edit", "aria-label": `${t("edit")} ${u.username}`, onclick: () => openUserForm(u) }, t("edit")),
        u.role === "technician"
          ? el("button", { type: "button", class: "small", "data-action": "devices", "aria-label": `${t("device_tokens")} ${u.username}`, onclick: guarded(() => openDevices(u)) }, t("device_tokens"))
          : null)));
  fillTable("#users-table", ["col_username", "col_role", "col_scope", "col_counties", "col_active", "col_actions"], rows);
}

$("#new-user").addEventListener("click", () => openUserForm(null));
$("#user-cancel").addEventListener("click", () => closeUserForm());
$("#user-created-done").addEventListener("click", () => {
  $("#user-generated-password").textContent = "";
  $("#user-created").hidden = true;
});
$("#user-form [name=role]").addEventListener("change", () => showRoleFields());

/** Opens the form for a new user (`user` null) or to edit one. */
function openUserForm(user) {
  const form = $("#user-form");
  state.editing = user;
  form.reset();
  clearProblems(form, "user-err-");
  $("#user-created").hidden = true;
  const username = form.elements.username;
  username.value = user ? user.username : "";
  username.readOnly = Boolean(user);
  form.elements.display_name.value = user ? user.display_name : "";
  form.elements.role.value = user ? user.role : "technician";
  form.elements.scope_code.value = user?.scope_code ?? "";
  form.elements.active.checked = user ? user.active : true;
  for (const box of form.querySelectorAll("[name=counties]")) box.checked = Boolean(user && user.counties.includes(box.value));
  for (const n of form.querySelectorAll("[data-edit-only]")) n.hidden = !user;
  relabelUserForm();
  showRoleFields();
  form.hidden = false;
  (user ? form.elements.role : username).focus();
}

function relabelUserForm() {
  const user = state.editing;
  $("#user-form-title").textContent = user ? t("edit_user_title", { name: user.username }) : t("new_user_title");
  const label = $("#password-label");
  label.dataset.i18n = user ? "password_new" : "password_initial";
  label.textContent = t(label.dataset.i18n);
}

/** Scope for viewers and reviewers, counties for technicians, neither for admins. */
function showRoleFields() {
  const role = $("#user-form [name=role]").value;
  for (const n of document.querySelectorAll("#user-form [data-for-roles]")) n.hidden = !n.dataset.forRoles.split(" ").includes(role);
}

function closeUserForm() {
  $("#user-form").hidden = true;
  state.editing = null;
}

$("#user-form").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  const role = f.role.value;
  const counties = [...form.querySelectorAll("[name=counties]:checked")].map((i) => i.value);
  const body = {
    display_name: f.display_name.value.trim() || null,
    role,
    scope_code: role === "viewer" || role === "reviewer" ? f.scope_code.value || null : null,
    counties: role === "technician" ? counties : [],
  };
  if (f.password.value) body.password = f.password.value;
  const editing = state.editing;
  if (editing) body.active = f.active.checked;
  else body.username = f.username.value.trim();
  $("#user-save").disabled = true;
  let answer;
  try {
    answer = editing
      ? await request(`/api/v1/users/${editing.id}`, { method: "PATCH", body })
      : await request("/api/v1/users", { method: "POST", body });
  } catch (err) {
    if (err.status === 401) throw err;
    showProblems(form, "user-err-", err);
    return;
  } finally {
    $("#user-save").disabled = false;
  }
  f.password.value = "";
  closeUserForm();
  const user = editing ? answer : answer.user;
  const done = $("#user-created");
  $("#user-created-text").textContent = t(editing ? "updated_user" : "created_user", { name: user.username });
  $("#user-generated").hidden = !answer.generated_password;
  $("#user-generated-password").textContent = answer.generated_password ?? "";
  done.hidden = false;
  await Promise.all([loadUsers(), loadAudit()]);
  if (state.deviceUser && state.deviceUser.id === user.id) state.deviceUser = user;
}));

// ---- device tokens ---------------------------------------------------------------------

async function openDevices(user) {
  clearTokenOnce();
  state.deviceUser = user;
  $("#devices-user").textContent = user.username;
  clearProblems($("#token-form"), "token-err-");
  $("#token-form").reset();
  $("#devices").hidden = false;
  await loadTokens();
  $("#devices").scrollIntoView({ block: "start" });
  $("#devices-heading").focus();
}

async function loadTokens() {
  state.tokens = await request(`/api/v1/users/${state.deviceUser.id}/device-tokens`);
  renderTokens();
}

/** The state of a credential: a word and an icon, never colour alone. */
function credentialState(c) {
  if (c.revoked_at) return el("span", { class: "state off" }, `✕ ${t("revoked_at", { at: dateTime(c.revoked_at) })}`);
  if (c.expires_at && new Date(c.expires_at) <= new Date()) return el("span", { class: "state off" }, `✕ ${t("expired")}`);
  return el("span", { class: "state on" }, `✓ ${t("valid")}`);
}

function renderTokens() {
  if (!state.deviceUser) return;
  const rows = state.tokens.map((c) =>
    el("tr", { "data-token-id": c.id, "data-label": c.name },
      el("td", {}, c.name),
      el("td", {}, dateTime(c.created_at)),
      el("td", {}, c.created_by),
      el("td", {}, c.last_used_at ? dateTime(c.last_used_at) : t("never")),
      el("td", {}, credentialState(c)),
      el("td", {}, revokeButton(c, revokeToken))));
  fillTable("#tokens-table", ["col_label", "col_created", "col_created_by", "col_last_used", "col_active", "col_actions"], rows, "none_yet");
}

async function revokeToken(c) {
  if (!confirm(t("confirm_revoke_token", { name: c.name }))) return;
  await request(`/api/v1/users/${state.deviceUser.id}/device-tokens/${c.id}`, { method: "DELETE" });
  await Promise.all([loadTokens(), loadAudit()]);
}

$("#devices-close").addEventListener("click", () => {
  clearTokenOnce();
  $("#devices").hidden = true;
  state.deviceUser = null;
});

$("#token-form").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const form = event.target;
  clearProblems(form, "token-err-");
  clearTokenOnce();
  let issued;
  try {
    issued = await request(`/api/v1/users/${state.deviceUser.id}/device-tokens`, {
      method: "POST", body: { name: form.elements.name.value },
    });
  } catch (err) {
    if (err.status === 401) throw err;
    showProblems(form, "token-err-", err);
    return;
  }
  form.reset();
  showTokenOnce(issued);
  await Promise.all([loadTokens(), loadAudit()]);
}));

/**
 * Shows the new token's sign-in link and QR code, once. The secret is in the fragment:
 * opening the link (or scanning the code) loads /collect/, which takes the token out of
 * the address and signs the phone in; the server never sees the fragment.
 */
function showTokenOnce(issued) {
  const link = `${phoneBase()}/collect/#device-token=${encodeURIComponent(issued.secret)}`;
  $("#token-link").value = link;
  $("#token-qr").replaceChildren(qrSvg(link));
  $("#token-print-user").textContent = state.deviceUser.username;
  $("#token-print-label").textContent = issued.credential.name;
  $("#token-copy-status").textContent = "";
  $("#token-once").hidden = false;
  document.body.classList.add("has-token-once");
  $("#token-once").scrollIntoView({ block: "center" });
  $("#token-copy").focus();
}

function clearTokenOnce() {
  $("#token-link").value = "";
  $("#token-qr").replaceChildren();
  $("#token-once").hidden = true;
  document.body.classList.remove("has-token-once");
}

function clearSecrets() {
  clearTokenOnce();
  $("#key-secret").value = "";
  $("#key-once").hidden = true;
  $("#user-generated-password").textContent = "";
}

/**
 * The QR code of `text` as SVG: error correction M (survives a smudged or creased printout),
 * the smallest version that holds it, one path of dark modules and the 4-module quiet zone
 * the standard asks for, so any phone camera app reads it.
 */
function qrSvg(text) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  let d = "";
  for (let y = 0; y < n; y += 1) {
    for (let x = 0; x < n; x += 1) {
      if (qr.isDark(y, x)) d += `M${x + quiet},${y + quiet}h1v1h-1z`;
    }
  }
  const size = n + 2 * quiet;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("qr_label"));
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(ns, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  const modules = document.createElementNS(ns, "path");
  modules.setAttribute("d", d);
  modules.setAttribute("fill", "#000");
  svg.append(background, modules);
  return svg;
}

/** Copies a secret: the Clipboard API where the page may use it, else the selection. */
async function copyFrom(input, status) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (_) {
    input.select();
    if (!document.execCommand("copy")) {
      status.textContent = t("copy_failed");
      return;
    }
  }
  status.textContent = `✓ ${t("copied")}`;
}

$("#token-copy").addEventListener("click", () => copyFrom($("#token-link"), $("#token-copy-status")));
$("#token-print").addEventListener("click", () => window.print());
$("#token-done").addEventListener("click", () => clearTokenOnce());

// ---- API keys --------------------------------------------------------------------------

async function loadKeys() {
  state.keys = await request("/api/v1/api-keys");
  renderKeys();
}

function renderKeys() {
  const rows = state.keys.map((c) =>
    el("tr", { "data-key-id": c.id, "data-label": c.name },
      el("td", {}, c.name),
      el("td", {}, regionName(c.scope_code)),
      el("td", {}, dateTime(c.created_at)),
      el("td", {}, c.created_by),
      el("td", {}, c.expires_at ? dateTime(c.expires_at) : t("no_expiry")),
      el("td", {}, c.last_used_at ? dateTime(c.last_used_at) : t("never")),
      el("td", {}, credentialState(c)),
      el("td", {}, revokeButton(c, revokeKey))));
  fillTable("#keys-table", ["col_key_name", "col_scope", "col_created", "col_created_by", "col_expires", "col_last_used", "col_active", "col_actions"], rows, "none_yet");
}

async function revokeKey(c) {
  if (!confirm(t("confirm_revoke_key", { name: c.name }))) return;
  await request(`/api/v1/api-keys/${c.id}`, { method: "DELETE" });
  await Promise.all([loadKeys(), loadAudit()]);
}

$("#key-form").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  clearProblems(form, "key-err-");
  $("#key-once").hidden = true;
  $("#key-secret").value = "";
  // A date means "until the end of that day", in the admin's time zone.
  const expires = f.expires_on.value ? new Date(`${f.expires_on.value}T23:59:59`).toISOString() : null;
  let issued;
  try {
    issued = await request("/api/v1/api-keys", {
      method: "POST", body: { name: f.name.value, scope_code: f.scope_code.value, expires_at: expires },
    });
  } catch (err) {
    if (err.status === 401) throw err;
    showProblems(form, "key-err-", err);
    return;
  }
  form.reset();
  $("#key-secret").value = issued.secret;
  $("#key-copy-status").textContent = "";
  $("#key-once").hidden = false;
  $("#key-copy").focus();
  await Promise.all([loadKeys(), loadAudit()]);
}));

$("#key-copy").addEventListener("click", () => copyFrom($("#key-secret"), $("#key-copy-status")));
$("#key-done").addEventListener("click", () => {
  $("#key-secret").value = "";
  $("#key-once").hidden = true;
});

// ---- audit log -------------------------------------------------------------------------

/** Loads the audit page `state.audit.page` (keyset: one cursor per page seen so far). */
async function loadAudit() {
  const a = state.audit;
  const params = new URLSearchParams({ limit: String(AUDIT_PAGE) });
  for (const [k, v] of Object.entries(a.filter)) if (v) params.set(k, v);
  const cursor = a.cursors[a.page];
  if (cursor) params.set("cursor", cursor);
  // Filters and pages can be changed faster than the server answers: only the answer to
  // the latest request is shown.
  const generation = (a.generation = (a.generation ?? 0) + 1);
  const answer = await request(`/api/v1/audit?${params}`);
  if (generation !== state.audit.generation) return;
  a.items = answer.items;
  a.next = answer.next_cursor ?? null;
  renderAudit();
}

function renderAudit() {
  const a = state.audit;
  const rows = a.items.map((e) =>
    el("tr", { "data-action": e.action, "data-entity-id": e.entity_id },
      el("td", {}, dateTime(e.at)),
      el("td", {}, e.actor),
      el("td", {}, el("code", {}, e.action)),
      el("td", {}, e.entity_type),
      el("td", { class: "mono" }, e.entity_id),
      el("td", {}, e.address ?? "—"),
      el("td", {}, e.before || e.after
        ? el("details", {}, el("summary", {}, t("details")),
          e.before ? el("div", {}, el("strong", {}, t("before")), el("pre", {}, JSON.stringify(e.before, null, 1))) : null,
          e.after ? el("div", {}, el("strong", {}, t("after")), el("pre", {}, JSON.stringify(e.after, null, 1))) : null)
        : "—")));
  fillTable("#audit-table", ["col_at", "actor", "action", "entity_type", "entity_id", "col_address", "col_details"], rows, "no_entries");
  $("#audit-page").textContent = t("page_n", { n: formatNumber(a.page + 1) });
  $("#audit-newer").disabled = a.page === 0;
  $("#audit-older").disabled = !a.next;
}

$("#audit-filters").addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  state.audit = {
    ...state.audit,
    filter: { actor: f.actor.value.trim(), action: f.action.value, entity_type: f.entity_type.value, entity_id: f.entity_id.value.trim() },
    cursors: [null],
    page: 0,
  };
  await loadAudit();
}));
$("#audit-filters").addEventListener("reset", () => {
  // After the browser has emptied the fields.
  setTimeout(() => $("#audit-filters").requestSubmit(), 0);
});
$("#audit-older").addEventListener("click", guarded(async () => {
  const a = state.audit;
  if (!a.next) return;
  a.cursors[a.page + 1] = a.next;
  a.page += 1;
  await loadAudit();
}));
$("#audit-newer").addEventListener("click", guarded(async () => {
  const a = state.audit;
  if (a.page === 0) return;
  a.page -= 1;
  await loadAudit();
}));

startPage({
  signInHeading: "signin_title",
  start,
  beforeSignOut: clearSecrets,
  relabel: () => {
    applyLanguage();
    if (state.me && state.me.role !== "admin") showForbidden();
    if (state.regions.length) {
      fillStaticSelects();
      renderUsers();
      renderTokens();
      renderKeys();
      renderAudit();
      relabelPlanning();
      if (!$("#user-form").hidden) relabelUserForm();
    }
  },
});
