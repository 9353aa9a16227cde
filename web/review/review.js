// The reviewers' page: the surveys of the caller's region, newest first, filtered and paged
// by the API (listSurveys, keyset cursor), and one survey at a time with its values,
// warnings, history, photos and location, to approve, mark as having issues or reject.
//
// No rule lives here: a decision goes to the API as it is, and the API's refusal (a
// missing comment, a version someone else corrected meanwhile, a role that may not
// review) is shown where it belongs. The field table with labels and units is the one
// the collect form is built from (/shared/fields.js).
import { api, request } from "../shared/api.js";
import { $, el } from "../shared/dom.js";
import { IDENTITY, LOCATION, NOT_RECORDED, SECTIONS, changedFields, fieldAt, valueOf } from "../shared/fields.js";
import { formatDate, valueText } from "../shared/values.js";
import { PAGES } from "../shared/glossary.js";
import { applyLanguage as applyPageLanguage, startPage } from "../shared/page.js";
import { bothLanguages, en, failureText, formatNumber as formatLocal, formatTime, message, pick, t, useWords } from "../shared/words.js";

const PAGE_SIZE = 50;
const STATES = ["received", "edited", "corrected", "resubmitted", "approved", "has_issues", "rejected"];
// The state told by an icon and a word, not by colour alone.
const STATE_ICONS = { received: "○", edited: "✎", corrected: "↻", resubmitted: "↺", approved: "✓", has_issues: "▲", rejected: "✕" };

const WORDS = {
  title: PAGES.review,
  signin_title: ["登录以审核调查", "Sign in to review surveys"],
  region: ["地区", "Region"],
  year: ["年份", "Year"],
  state: ["审核状态", "Review state"],
  has_warnings: ["仅看有提示的", "With warnings only"],
  corrected_only: ["仅看退回后已修改的", "Corrected after review only"],
  all: ["全部", "All"],
  household: ["乡镇 / 村 / 农户", "Township / village / household"],
  technician: ["调查员", "Technician"],
  date: ["调查日期", "Survey date"],
  warnings: ["提示", "Warnings"],
  prev: ["上一页", "Previous"],
  next: ["下一页", "Next"],
  page: ["第 {n} 页", "Page {n}"],
  shown: ["共 {total} 份 · 本页 {n} 份", "{total} in all · {n} on this page"],
  none: ["没有符合条件的调查", "No surveys match"],
  loading: ["加载中…", "Loading…"],
  open: ["查看", "Open"],
  select: ["选择 {name}", "Select {name}"],
  select_page: ["选择本页全部", "Select the whole page"],
  bulk_approve: ["批量通过所选({n})", "Approve selected ({n})"],
  bulk_done: ["已通过 {n} 份调查", "{n} survey(s) approved"],
  back: ["← 返回列表", "← Back to the list"],
  comment: ["审核意见(标记有问题或退回时必填)", "Comment (required to mark issues or reject)"],
  next_survey: ["下一份 →", "Next survey →"],
  field_comments: ["对单个字段的意见(农技员在表单的该字段旁看到)", "Comments on single fields (the technician sees them at the field)"],
  fc_field: ["字段", "Field"],
  fc_text: ["意见", "Comment"],
  fc_add: ["添加", "Add"],
  fc_remove: ["删除对“{field}”的意见", "Remove the comment on “{field}”"],
  fc_empty: ["请先写下对该字段的意见", "Write the comment on the field first"],
  since_title: ["审核后的修改", "Changed since the decision"],
  since_intro: ["{by} 于 {at} 对第 {version} 版的决定:{state}。此后农技员的修改:", "Decision on version {version} by {by} on {at}: {state}. Changed by the technician since:"],
  since_none: ["内容与审核时相同", "The content is as it was at the decision"],
  not_counted: ["不计入统计", "not counted in the figures"],
  not_counted_until: ["重新审核前不计入统计", "not counted until it is reviewed again"],
  done: ["已保存:{state}", "Saved: {state}"],
  conflict: ["该调查刚被他人更正,已重新加载最新版本,请重新审核。", "Someone else changed this survey; the current version is loaded, please review it again."],
  read_only: ["您的角色({role})只能查看,不能审核。", "Your role ({role}) may look but not review."],
  no_review_rights: ["您的角色不能审核调查", "Your role may not review surveys"],
  meta: ["第 {version} 版 · {created_by} 于 {created_at} 提交 · 最后修改 {updated_by} {updated_at}", "Version {version} · submitted by {created_by} on {created_at} · last changed by {updated_by} {updated_at}"],
  reviewed: ["{by} 于 {at} 审核", "reviewed by {by} on {at}"],
  warnings_title: ["数据提示", "Warnings"],
  no_warnings: ["没有提示", "No warnings"],
  values_title: ["调查内容", "Values"],
  identity: ["农户", "Household"],
  location_title: ["位置", "Location"],
  no_location: ["没有定位", "No GPS position"],
  map: ["在 OpenStreetMap 上查看", "Show on OpenStreetMap"],
  photos_title: ["照片", "Photos"],
  no_photos: ["没有照片", "No photos"],
  history_title: ["修改记录", "History"],
  created: ["{by} 提交了第 1 版", "{by} submitted version 1"],
  corrected: ["{by} 更正为第 {version} 版", "{by} corrected it to version {version}"],
  note: ["说明:", "Note: "],
};

useWords(WORDS);

const state = {
  me: null,
  canReview: false,
  byCode: new Map(),
  cursors: [null], // the cursor of each page seen so far; the last one is the page shown
  nextCursor: null,
  items: [], // the page shown
  selected: new Set(),
  current: null, // the survey open in the detail view
  lastOpened: null, // its id, to return to its row
  total: null, // how many surveys match the filters
  years: [], // the years that have surveys in the caller's scope
  fieldComments: [], // the decision's comments on fields, as entered: [{ path, comment }]
};

const stateName = (s) => t("state_names")[s] ?? s;
const regionName = (code) => {
  const r = state.byCode.get(code);
  return r ? (en() ? r.name_en : r.name_zh) : code;
};
const formatNumber = (v) => formatLocal(v, { maximumFractionDigits: 6 });

function badge(reviewState) {
  return el("span", { class: `review-state ${reviewState}`, "data-state": reviewState },
    el("span", { "aria-hidden": "true", text: STATE_ICONS[reviewState] }), ` ${stateName(reviewState)}`);
}

function say(text, kind = "bad") {
  const box = $("#message");
  box.hidden = !text;
  box.className = kind;
  box.textContent = text || "";
}

// ---- start and session ---------------------------------------------------------------

async function start() {
  applyLanguage();
  try {
    state.me = await api("/api/v1/auth/me");
  } catch (err) {
    if (err.status !== 401) throw err;
    $("#signin").hidden = false;
    document.body.dataset.state = "signin";
    return;
  }
  state.canReview = state.me.role === "reviewer" || state.me.role === "admin";
  document.body.classList.toggle("read-only", !state.canReview);
  $("#signin").hidden = true;
  $("#signout").hidden = false;
  $("#read-only").hidden = state.canReview;
  applyLanguage();
  const [regions, years] = await Promise.all([api("/api/v1/regions"), api("/api/v1/surveys/years")]);
  state.years = years.years;
  state.byCode = new Map(regions.map((r) => [r.code, r]));
  setupFilters(regions);
  await loadPage();
  route();
}

function applyLanguage() {
  applyPageLanguage();
  $("#select-page").setAttribute("aria-label", t("select_page"));
  const role = state.me && (state.me.role || state.me.kind);
  if (role) $("#read-only").textContent = t("read_only", { role: t("roles")[role] ?? role });
}

// The failure goes where the page's other messages go.
function showFailure(err) {
  say(failureText(err));
  document.body.dataset.state = "failed";
}

// ---- the list ----------------------------------------------------------------------------

// The regions the caller may pick: its scope and everything below it (a technician: its
// counties); without a scope, every region.
function setupFilters(regions) {
  const choices = [];
  const walk = (code, depth) => {
    const r = state.byCode.get(code);
    if (!r) return;
    choices.push([code, depth]);
    for (const child of r.children) walk(child, depth + 1);
  };
  if (state.me.counties.length) state.me.counties.forEach((c) => walk(c, 0));
  else if (state.me.scope_code) walk(state.me.scope_code, 0);
  else regions.filter((r) => r.level === "province").forEach((r) => walk(r.code, 0));
  $("#f-region").replaceChildren(el("option", { value: "" }),
    ...choices.map(([code, depth]) => el("option", { value: code, "data-depth": depth })));
  // Only years that have surveys, newest first.
  const years = state.years.map(String).reverse();
  $("#f-year").replaceChildren(el("option", { value: "" }), ...years.map((y) => el("option", { value: y, text: y })));
  $("#f-state").replaceChildren(el("option", { value: "" }), ...STATES.map((s) => el("option", { value: s })));
  labelFilters();
  $("#filters").addEventListener("change", () => {
    state.cursors = [null];
    loadPage().catch(showFailure);
  });
}

function labelFilters() {
  for (const option of $("#f-region").options) {
    option.textContent = option.value
      ? "\u00a0\u00a0".repeat(+option.dataset.depth) + regionName(option.value)
      : t("all_regions");
  }
  $("#f-year").options[0].textContent = t("all");
  for (const option of $("#f-state").options) option.textContent = option.value ? stateName(option.value) : t("all");
}

function listQuery() {
  const query = new URLSearchParams({ order: "newest", limit: String(PAGE_SIZE) });
  for (const [name, id] of [["region", "#f-region"], ["year", "#f-year"], ["review_state", "#f-state"]]) {
    if ($(id).value) query.set(name, $(id).value);
  }
  if ($("#f-warnings").checked) query.set("has_warnings", "true");
  if ($("#f-corrected").checked) query.set("corrected_after_review", "true");
  query.set("include_total", "true");
  const cursor = state.cursors[state.cursors.length - 1];
  if (cursor) query.set("cursor", cursor);
  return query;
}

async function loadPage() {
  document.body.dataset.state = "loading";
  $("#summary").textContent = t("loading");
  const page = await api(`/api/v1/surveys?${listQuery()}`);
  state.items = page.items;
  state.nextCursor = page.next_cursor ?? null;
  state.total = page.total ?? null;
  state.selected.clear();
  renderTable();
  document.body.dataset.state = "ready";
}

function renderTable() {
  const rows = state.items.map((item) => {
    const s = item.survey;
    const name = [s.township, s.village, s.household].filter(Boolean).join(" / ");
    const open = el("a", { href: `#survey/${s.id}`, text: name });
    return el("tr", { "data-id": s.id, "data-state": item.review.state, class: s.id === state.lastOpened ? "last-opened" : null },
      // In a label the size of a fingertip: the label is what a tap hits.
      el("td", { class: "can-review" }, el("label", { class: "pick-area" }, el("input", {
        type: "checkbox", class: "pick", value: s.id, "aria-label": t("select", { name }),
        checked: state.selected.has(s.id),
      }))),
      el("td", { text: regionName(s.county_code) }),
      el("td", {}, open),
      el("td", { text: s.technician }),
      el("td", { text: formatDate(s.surveyed_on) }),
      el("td", {}, badge(item.review.state)),
      el("td", { class: `num${item.warnings.length ? " warn" : ""}`, text: item.warnings.length ? formatNumber(item.warnings.length) : "—" }));
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 7, text: t("none") })));
  $("#surveys tbody").replaceChildren(...rows);
  $("#summary").textContent = t("shown", { n: formatNumber(state.items.length), total: formatNumber(state.total ?? state.items.length) });
  $("#page-no").textContent = t("page", { n: formatNumber(state.cursors.length) });
  $("#prev").disabled = state.cursors.length === 1;
  $("#next").disabled = !state.nextCursor;
  updateSelection();
}

function updateSelection() {
  const button = $("#bulk-approve");
  button.textContent = t("bulk_approve", { n: formatNumber(state.selected.size) });
  button.disabled = state.selected.size === 0;
  const all = $("#select-page");
  all.checked = state.items.length > 0 && state.items.every((i) => state.selected.has(i.survey.id));
}

$("#surveys tbody").addEventListener("change", (event) => {
  if (!event.target.matches(".pick")) return;
  if (event.target.checked) state.selected.add(event.target.value);
  else state.selected.delete(event.target.value);
  updateSelection();
});

$("#select-page").addEventListener("change", (event) => {
  for (const item of state.items) {
    if (event.target.checked) state.selected.add(item.survey.id);
    else state.selected.delete(item.survey.id);
  }
  renderTable();
});

$("#prev").addEventListener("click", () => {
  state.cursors.pop();
  loadPage().catch(showFailure);
});

$("#next").addEventListener("click", () => {
  state.cursors.push(state.nextCursor);
  loadPage().catch(showFailure);
});

// Approves exactly the selected rows (bulkReviewSurveys by ids); every one of them is
// approved afterwards, so the rows are updated in place and the page stays as it was.
$("#bulk-approve").addEventListener("click", async () => {
  const ids = [...state.selected];
  try {
    const result = await request("/api/v1/surveys/bulk-review", {
      method: "POST",
      body: { filter: { ids }, state: "approved" },
    });
    for (const item of state.items) if (state.selected.has(item.survey.id)) item.review.state = "approved";
    state.selected.clear();
    renderTable();
    say(t("bulk_done", { n: formatNumber(result.updated) }), "ok");
  } catch (err) {
    say(err.status === 403 ? t("no_review_rights") : err.message);
  }
});

// ---- one survey -----------------------------------------------------------------------------

// `#survey/<id>` shows one survey; anything else the list, as it was left.
function route() {
  const match = /^#survey\/([0-9a-f-]+)$/.exec(location.hash);
  say("");
  $("#list-view").hidden = Boolean(match);
  $("#detail-view").hidden = !match;
  if (match) openSurvey(match[1]).catch(showFailure);
  else {
    state.current = null;
    document.querySelector("#surveys tr.last-opened a")?.focus();
  }
}
window.addEventListener("hashchange", () => {
  if (state.me) route();
});
$("#back").addEventListener("click", () => {
  location.hash = "";
});

async function openSurvey(id) {
  document.body.dataset.state = "loading";
  const base = `/api/v1/surveys/${id}`;
  const [stored, history, photos] = await Promise.all([api(base), api(`${base}/history`), api(`${base}/attachments`)]);
  state.current = { stored, history, photos, thumbnails: state.current?.stored.survey.id === id ? state.current.thumbnails : null };
  $("#comment").value = stored.review.comment || "";
  state.fieldComments = (stored.review.field_comments ?? []).map((c) => ({ ...c }));
  $("#fc-text").value = "";
  showFieldError(null);
  state.lastOpened = id;
  renderTable();
  renderDetail();
  $("#detail-title").focus();
  document.body.dataset.state = "ready";
}

function renderDetail() {
  const { stored, history, photos } = state.current;
  const s = stored.survey;
  $("#detail-title").textContent = `${regionName(s.county_code)} · ${[s.township, s.village, s.household].filter(Boolean).join(" / ")}`;
  $("#detail-title").tabIndex = -1;
  const review = stored.review;
  $("#detail-meta").replaceChildren(el("span", {}, badge(review.state), " ",
    t("meta", { version: stored.version, created_by: stored.created_by, created_at: formatTime(stored.created_at),
      updated_by: stored.updated_by, updated_at: formatTime(stored.updated_at) }),
    review.reviewed_by ? ` · ${t("reviewed", { by: review.reviewed_by, at: formatTime(review.reviewed_at) })}` : "",
    review.counts ? "" : ` · ${t(review.state === "resubmitted" ? "not_counted_until" : "not_counted")}`,
    review.comment ? el("q", { class: "comment", text: review.comment }) : null));

  $("#detail-warnings").replaceChildren(...(stored.warnings.length
    ? stored.warnings.map((w) => el("li", { "data-path": w.path, "data-code": w.code },
      el("strong", { text: labelOf(w.path) }), ` ${message(w)}`))
    : [el("li", { class: "none", text: t("no_warnings") })]));

  const identity = IDENTITY.filter((f) => f.key !== "county_code").map((f) => [f, s[f.key], f.key]);
  const blocks = [valueTable(t("identity"), identity)];
  for (const [key, section] of Object.entries(SECTIONS)) {
    const values = s[key];
    if (key === "straw") {
      // The count fields only for a crop whose straw was counted.
      (values || []).forEach((row, i) => blocks.push(valueTable(`${sectionName(key)} ${i + 1}`, strawFields(row).map((f) => [f, valueOf(row, f.key), `straw[${i}].${f.key}`]))));
    } else if (values) {
      blocks.push(valueTable(sectionName(key), section.fields.map((f) => [f, values[f.key], `${key}.${f.key}`])));
    }
  }
  $("#detail-sections").replaceChildren(...blocks);
  renderFieldComments();
  renderSinceDecision();
  $("#next-survey").hidden = !nextSurvey();

  const at = s.location;
  $("#detail-location").replaceChildren(...(at
    ? [LOCATION.filter((f) => at[f.key.slice(9)] != null).map((f) => `${pick(f)} ${formatNumber(at[f.key.slice(9)])} ${pick(f.unit)}`).join(" · "), " ",
      el("a", { href: `https://www.openstreetmap.org/?mlat=${at.lat}&mlon=${at.lon}#map=14/${at.lat}/${at.lon}`, rel: "noopener", target: "_blank", text: t("map") })]
    : [t("no_location")]));

  renderPhotos(photos);
  $("#detail-history").replaceChildren(...history.versions.map((v, i) => {
    const what = v.version === 1 ? t("created", { by: v.changed_by }) : t("corrected", { by: v.changed_by, version: v.version });
    const changes = i > 0 ? changeItems(history.versions[i - 1].survey, v.survey) : [];
    return el("li", { "data-version": v.version },
      el("time", { datetime: v.changed_at, text: formatTime(v.changed_at) }), ` ${what}`,
      v.note ? el("div", { class: "note", text: t("note") + v.note }) : null,
      changes.length ? el("ul", {}, ...changes) : null);
  }));
}

// A survey corrected after a reviewer returned it: what changed between the version the
// decision was made on and the current one, by label and with units.
function renderSinceDecision() {
  const { stored, history } = state.current;
  const review = stored.review;
  const decided = review.corrected_after_review && history.versions.find((v) => v.version === review.reviewed_version);
  $("#since-decision").hidden = !decided;
  if (!decided) return;
  $("#since-intro").textContent = t("since_intro", { by: review.reviewed_by ?? "", at: review.reviewed_at ? formatTime(review.reviewed_at) : "",
    version: review.reviewed_version, state: stateName(review.state === "resubmitted" ? "rejected" : "has_issues") });
  const changes = changeItems(decided.survey, stored.survey);
  $("#since-changes").replaceChildren(...(changes.length ? changes : [el("li", { text: t("since_none") })]));
}

// One list item per changed field: its label, the value before and after, with units.
function changeItems(before, after) {
  return changedFields(before, after).map(([path, was, now]) => {
    const field = fieldAt(path);
    const text = (v) => (field ? valueText(field, v) : show(v));
    return el("li", { "data-path": path }, el("strong", { text: labelOf(path) }), ` ${text(was)} → ${text(now)}`);
  });
}

const sectionName = (key) => t("sections")[key];

// Rows of [field, value, path]; a field the stored decision commented on shows the
// comment under its name.
function valueTable(title, rows) {
  const comments = new Map((state.current.stored.review.field_comments ?? []).map((c) => [c.path, c.comment]));
  return el("table", { class: "values" }, el("caption", { text: title }),
    el("tbody", {}, ...rows.map(([field, value, path]) => el("tr", { "data-path": path, class: comments.has(path) ? "commented" : null },
      el("th", { scope: "row" }, pick(field), comments.has(path) ? el("span", { class: "field-comment", text: `▲ ${comments.get(path)}` }) : null),
      el("td", { class: typeof value === "number" ? "num" : value == null ? "not-recorded" : null, text: valueText(field, value) })))));
}

// Every field of the survey shown, by path: what a reviewer may comment on.
function commentablePaths(s) {
  const paths = [...IDENTITY.filter((f) => f.key !== "technician").map((f) => f.key), ...LOCATION.map((f) => f.key)];
  for (const [key, section] of Object.entries(SECTIONS)) {
    if (key === "straw") (s.straw || []).forEach((row, i) => paths.push(...strawFields(row).map((f) => `straw[${i}].${f.key}`)));
    else if (s[key]) paths.push(...section.fields.map((f) => `${key}.${f.key}`));
  }
  return paths;
}

// The fields a crop shows: the count (unit, number, weight of one) only when it was counted.
const strawFields = (crop) => SECTIONS.straw.fields.filter((f) => !f.count || crop.straw_count);

// The decision's field comments being written, with a button to remove each.
function renderFieldComments() {
  const s = state.current.stored.survey;
  const chosen = $("#fc-field").value;
  $("#fc-field").replaceChildren(...commentablePaths(s).map((path) => el("option", { value: path, text: labelOf(path) })));
  if (chosen) $("#fc-field").value = chosen;
  $("#fc-list").replaceChildren(...state.fieldComments.map((c, i) => el("li", { "data-path": c.path },
    el("strong", { text: labelOf(c.path) }), `: ${c.comment}`,
    el("button", { type: "button", class: "fc-remove", "data-index": i, "aria-label": t("fc_remove", { field: labelOf(c.path) }), text: "×" }))));
}

$("#fc-add").addEventListener("click", () => {
  const path = $("#fc-field").value;
  const comment = $("#fc-text").value.trim();
  if (!comment) {
    say(t("fc_empty"));
    $("#fc-text").focus();
    return;
  }
  say("");
  state.fieldComments = state.fieldComments.filter((c) => c.path !== path).concat([{ path, comment }]);
  $("#fc-text").value = "";
  renderFieldComments();
});

$("#fc-list").addEventListener("click", (event) => {
  const button = event.target.closest(".fc-remove");
  if (!button) return;
  state.fieldComments.splice(Number(button.dataset.index), 1);
  renderFieldComments();
});

// The survey after the one shown in the list (its id), or "next-page" when it starts the
// next page; null at the end.
function nextSurvey() {
  const at = state.items.findIndex((item) => item.survey.id === state.current?.stored.survey.id);
  if (at >= 0 && at + 1 < state.items.length) return state.items[at + 1].survey.id;
  return state.nextCursor ? "next-page" : null;
}

$("#next-survey").addEventListener("click", async () => {
  let next = nextSurvey();
  if (next === "next-page") {
    state.cursors.push(state.nextCursor);
    await loadPage().catch(showFailure);
    next = state.items[0]?.survey.id;
  }
  if (next) location.hash = `#survey/${next}`;
});

// The label of a wire path (`film.used_kg`, `straw[0].feed_kg`, `location`, `household`).
function labelOf(path) {
  const match = /^(film|pesticide_packaging|yak_dung|straw)(?:\[(\d+)\])?\.([\w.]+)$/.exec(path);
  if (match) {
    const field = SECTIONS[match[1]].fields.find((f) => f.key === match[3]);
    const where = sectionName(match[1]) + (match[2] !== undefined ? ` ${+match[2] + 1}` : "");
    return `${where} · ${field ? pick(field) : match[3]}`;
  }
  const field = [...IDENTITY, ...LOCATION].find((f) => f.key === path);
  if (field) return pick(field);
  return sectionName(path.replace(/\[\d+\]$/, "")) ?? (path === "location" ? t("location_title") : path);
}

const show = (v) => (v == null ? pick(NOT_RECORDED) : typeof v === "number" ? formatNumber(v) : String(v));

// Photos need the session, so each is fetched once and shown from a blob URL.
function renderPhotos(photos) {
  const box = $("#detail-photos");
  if (!photos.length) {
    box.replaceChildren(el("p", { text: t("no_photos") }));
    return;
  }
  const current = state.current;
  current.thumbnails ??= Promise.all(photos.map(async (p) => URL.createObjectURL(await request(p.url, { asBlob: true }))));
  current.thumbnails.then((urls) => {
    if (state.current !== current) return;
    box.replaceChildren(...photos.map((p, i) => el("a", { href: urls[i], target: "_blank", class: "photo" },
      el("img", { src: urls[i], alt: `${t("photos_title")} ${i + 1}: ${p.file_name || p.sha256.slice(0, 12)}` }))));
  }).catch(showFailure);
}

// ---- decisions -----------------------------------------------------------------------------

function showFieldError(body) {
  const comment = $("#comment");
  const onComment = body && body.path === "comment";
  comment.toggleAttribute("aria-invalid", Boolean(onComment));
  $("#comment-error").textContent = onComment ? bothLanguages(body) : "";
  if (onComment) comment.focus();
}

// The decision goes to the API with the ETag of the version shown: a survey corrected
// meanwhile answers 409, and the page loads the new version to be reviewed again.
$("#decide").addEventListener("submit", async (event) => {
  event.preventDefault();
  const decision = event.submitter.value;
  const { stored } = state.current;
  const id = stored.survey.id;
  showFieldError(null);
  say("");
  try {
    const updated = await request(`/api/v1/surveys/${id}/review`, {
      method: "POST",
      headers: { "if-match": stored.etag },
      body: { state: decision, comment: $("#comment").value, field_comments: state.fieldComments },
    });
    state.current.stored = updated;
    const row = state.items.find((item) => item.survey.id === id);
    if (row) row.review = updated.review;
    renderTable();
    renderDetail();
    say(t("done", { state: stateName(updated.review.state) }), "ok");
    if (!$("#next-survey").hidden) $("#next-survey").focus();
  } catch (err) {
    if (err.status === 409 || err.status === 412) {
      const typed = $("#comment").value;
      await openSurvey(id);
      $("#comment").value = typed;
      say(`${t("conflict")} (${err.message})`);
    } else if (err.status === 403) say(t("no_review_rights"));
    else if (err.body && err.body.path === "comment") showFieldError(err.body);
    else say(err.message);
  }
});

startPage({
  links: [["/dashboard/", "page_dashboard"]],
  signInHeading: "signin_title",
  start,
  showFailure,
  relabel: () => {
    applyLanguage();
    if (state.me) {
      labelFilters();
      renderTable();
      if (state.current) renderDetail();
    }
  },
});
