// The bureau dashboard. The sums of every county, year and review class are loaded once
// (GET /api/v1/sums: kilobytes, whatever the number of surveys); the analytics crate,
// compiled to WASM, adds the rows each filter selects, finishes every figure as the
// server does and draws every chart in the browser, so a filter change recomputes
// locally without asking the server again.
//
// Performance marks for the benchmark: measure "first-chart" (navigation start to the
// first chart on screen, after sums and targets are loaded), "sums-fetch",
// "sums-parse" and, on every filter change, "recompute" (WASM figures, four charts,
// tables and board in the DOM). document.body.dataset.recomputes counts the recomputes.
import init, { FactSet, renderChart } from "../pkg/agriwaste_analytics.js";
import { api } from "../shared/api.js";
import { SECTIONS } from "../shared/fields.js";
import { PAGES } from "../shared/glossary.js";
import { $, el } from "../shared/dom.js";
import { applyLanguage, showFailureLine as showFailure, startPage } from "../shared/page.js";
import { currentLang, en, formatNumber, locale, t, useWords } from "../shared/words.js";
import { BOARD_INDICATORS, ICONS, INDICATORS, PROGRESS_WORDS, STATUSES } from "../shared/progress-words.js";

const STRAW_USES = [
  ["fertilizer", "肥料化", "Fertilizer"], ["feed", "饲料化", "Feed"], ["substrate", "基料化", "Substrate"],
  ["fuel", "燃料化", "Fuel"], ["raw_material", "原料化", "Raw material"],
];
// This year in China (UTC+8): it and later years are in progress, never the latest result.
const currentYear = () => +new Intl.DateTimeFormat("en", { timeZone: "Asia/Shanghai", year: "numeric" }).format(new Date());

const WORDS = {
  ...PROGRESS_WORDS,
  title: PAGES.dashboard,
  signin_title: ["登录以查看看板", "Sign in to see the dashboard"],
  region: ["地区", "Region"],
  from: ["起始年份", "From year"],
  to: ["结束年份", "To year"],
  indicator: ["指标", "Indicator"],
  review: ["审核", "Review"],
  review_counted: ["全部计入(不含退回)", "All counted (not rejected)"],
  review_approved: ["仅已通过", "Approved only"],
  chart_by_region: ["各县指标与目标", "Indicator by county, with target"],
  chart_trend: ["年度趋势与规划阶段", "Trend and plan phases"],
  chart_straw: ["秸秆“五料化”利用结构", "Straw: the five uses"],
  chart_map: ["各县示意图(不按比例)", "Counties, schematic (not to scale)"],
  table_view: ["表格", "Table"],
  board_title: ["{year} 年目标进度 · {region}", "Progress toward the targets, {year} · {region}"],
  board_empty: ["暂无调查数据", "No survey data yet"],
  board_default: ["默认显示最近一个已结束、且至少有 {n} 户调查的年份。", "Shown by default: the latest finished year with at least {n} households surveyed."],
  board_in_progress: ["{year} 年尚未结束(目前 {households} 户),数据不完整,未作为最新结果。", "{year} is still in progress ({households} households so far): its figures are partial and not shown as the latest result."],
  board_chosen_in_progress: ["注意:{year} 年尚未结束,以下为不完整数据。", "Note: {year} is still in progress; the figures below are partial."],
  region_col: ["地区 / 分组", "Region / group"],
  group_tag: ["分组", "group"],
  group_members: ["含:{names}", "Counties: {names}"],
  target_short: ["目标 {cmp}{value}({year} 年)", "target {cmp}{value} by {year}"],
  ci_n: ["95% 区间 {low}–{high} · {n} 户", "95 % interval {low}–{high} · n = {n}"],
  n_only: ["{n} 户", "n = {n}"],
  gains: ["需年增 {required} · 实际 {observed} ± {se}", "needed {required}/yr · observed {observed} ± {se}/yr"],
  gains_unknown: ["需年增 {required} · 趋势未知(不足 3 年各 {n} 户以上)", "needed {required}/yr · trend unknown (fewer than 3 years of n ≥ {n})"],
  year_passed: ["目标年已过", "the target year has passed"],
  previous: ["上年({year}){rate},{change}", "{year}: {rate}, {change}"],
  set_target: ["设定目标", "Set a target"],
  targets_heading: ["{region} 适用的目标与规划", "Targets and plan that apply to {region}"],
  plan_line: ["规划:{plan}({source})。{year} 年属{phase}({first}–{last} 年)。", "Plan: {plan} ({source}). {year} falls in its {phase} ({first}–{last})."],
  plan_outside: ["规划:{plan}({source}),{year} 年不在其规划期内。", "Plan: {plan} ({source}); {year} lies outside its period."],
  plan_none: ["该地区没有规划阶段。", "No plan phases apply to this region."],
  target_line: ["{indicator}:{cmp}{value}({year} 年)· {origin} · 来源:{source}", "{indicator}: {cmp}{value} by {year} · {origin} · source: {source}"],
  no_target_line: ["{indicator}:无目标", "{indicator}: no target"],
  in_progress_year: ["{year}(进行中)", "{year} (in progress)"],
  year: ["年份", "Year"],
  phase: ["规划阶段", "Plan phase"],
  households: ["户数", "Households"],
  rate: ["比率", "Rate"],
  ci: ["95% 区间", "95% interval"],
  target: ["目标", "Target"],
  no_data: ["无数据", "no data"],
  pp: ["个百分点", "pp"],
  trend_needs_region: ["选择一个地区以查看趋势", "Choose a region to see its trend"],
  loading: ["正在加载调查数据…", "Loading survey facts…"],
  summary: ["{n} 户 · 数据截至 {asOf}", "{n} households · data as of {asOf}"],
  in_progress: ["进行中", "in progress"],
  straw_left_out: ["未计入 {n} 条作物记录:{crops}尚无草谷比,且未称重或计数。管理员可在「系数」中设定。",
    "{n} crop records are not counted: no straw-to-grain ratio yet for {crops}, and their straw was neither weighed nor counted. An administrator can set the ratio under “Coefficients”."],
};

useWords(WORDS);

const state = {
  facts: null, // FactSet (WASM), from the sums
  regions: [], // from /api/v1/regions
  byCode: new Map(),
  asOf: null,
  dashboard: null, // last Dashboard
  board: null, // last ProgressBoard
  me: null,
  recomputes: 0,
};

const nameOf = (label) => (label ? (en() ? label.en : label.zh) : "");
const indicatorName = (key) => {
  const row = INDICATORS.find((i) => i[0] === key);
  return row ? row[en() ? 2 : 1] : key;
};

// Numbers for the locale: rates as percentages with one decimal, counts grouped.
const RATE = { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 };
const POINTS = { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "exceptZero" };
export const fmt = {
  rate: (v) => (v == null ? "—" : formatNumber(v, RATE)),
  count: (v) => formatNumber(v),
  pp: (v) => (v == null ? "—" : `${formatNumber(v, POINTS)} ${t("pp")}`),
};

// ---- start ---------------------------------------------------------------------------

async function start() {
  applyLanguage();
  const wasm = init();
  let me;
  try {
    me = await api("/api/v1/auth/me");
  } catch (err) {
    if (err.status !== 401) throw err;
    showSignin();
    return;
  }
  $("#signin").hidden = true;
  $("#signout").hidden = false;
  $("#board-app").hidden = false;
  $("#summary").textContent = t("loading");
  performance.mark("sums-fetch-start");
  const [regions, targets, groups, body] = await Promise.all([
    api("/api/v1/regions"),
    api("/api/v1/targets", true),
    api("/api/v1/groups", true),
    api("/api/v1/sums", true),
    wasm,
  ]);
  performance.mark("sums-fetch-end");
  performance.measure("sums-fetch", "sums-fetch-start", "sums-fetch-end");
  state.regions = regions;
  state.byCode = new Map(regions.map((r) => [r.code, r]));
  performance.mark("sums-parse-start");
  state.facts = FactSet.fromSums(body);
  state.facts.setTargets(targets);
  // The shipped county groups (the Ali pilot) and those admins defined, as the server's board has them.
  state.facts.setGroups(groups);
  performance.mark("sums-parse-end");
  performance.measure("sums-parse", "sums-parse-start", "sums-parse-end");
  state.asOf = state.facts.asOf;
  document.body.dataset.bytes = String(body.length);
  state.me = me;
  setupFilters(me);
  recompute();
  performance.mark("first-chart");
  performance.measure("first-chart", { end: "first-chart" });
  document.body.dataset.state = "ready";
}

function showSignin() {
  $("#signin").hidden = false;
  $("#board-app").hidden = true;
  $("#signout").hidden = true;
  document.body.dataset.state = "signin";
}

// ---- filters ---------------------------------------------------------------------------

// The regions a caller may pick: its scope and everything below it (a technician: its
// counties); an admin or a caller without a region: everything.
function regionsInScope(me) {
  if (me.counties && me.counties.length) return me.counties.map((c) => state.byCode.get(c)).filter(Boolean);
  const out = [];
  const walk = (code, depth) => {
    const r = state.byCode.get(code);
    if (!r) return;
    out.push({ ...r, depth });
    for (const child of r.children) walk(child, depth + 1);
  };
  if (me.scope_code) walk(me.scope_code, 0);
  else for (const r of state.regions.filter((r) => r.level === "province")) walk(r.code, 0);
  return out;
}

function setupFilters(me) {
  const region = $("#f-region");
  const choices = regionsInScope(me);
  region.replaceChildren(
    ...(me.scope_code || (me.counties && me.counties.length) ? [] : [el("option", { value: "", "data-i18n": "all_regions" }, t("all_regions"))]),
    ...choices.map((r) => el("option", { value: r.code, "data-depth": r.depth || 0 }, "")),
  );
  // The default: the caller's region (a technician: its first county); without one, the
  // province of a county with data, so that the trend has a region.
  let initial = me.scope_code || (me.counties && me.counties.length && choices[0] ? choices[0].code : "");
  if (!initial && state.facts.length) {
    const board = progressOf({ within: null, year: null });
    const county = board.rows.find((r) => r.level === "county");
    let code = county ? county.code : "";
    while (code && state.byCode.get(code) && state.byCode.get(code).parent_code) code = state.byCode.get(code).parent_code;
    initial = code;
  }
  region.value = initial;
  $("#f-indicator").replaceChildren(...INDICATORS.map(([key]) => el("option", { value: key }, "")));
  relabelFilters();
  fillYears(true);
  for (const select of document.querySelectorAll("#filters select")) {
    select.addEventListener("change", () => {
      if (select.id === "f-region" || select.id === "f-review") fillYears(false);
      if (select.id === "f-from" && +$("#f-from").value > +$("#f-to").value) $("#f-to").value = $("#f-from").value;
      if (select.id === "f-to" && +$("#f-to").value < +$("#f-from").value) $("#f-from").value = $("#f-to").value;
      recompute();
    });
  }
}

function relabelFilters() {
  for (const option of $("#f-region").options) {
    if (!option.value) { option.textContent = t("all_regions"); continue; }
    const r = state.byCode.get(option.value);
    const indent = "\u00a0\u00a0".repeat(+option.dataset.depth || 0);
    option.textContent = `${indent}${en() ? r.name_en : r.name_zh}`;
  }
  for (const option of $("#f-indicator").options) option.textContent = indicatorName(option.value);
  for (const option of $("#f-review").options) option.textContent = t(option.dataset.i18n);
}

// Years with data for the region and review filter (a year in progress labelled so);
// keeps the choice when it still exists, else opens on the board's default year: the
// latest finished year with enough households (never the year in progress).
function fillYears(initial) {
  const board = progressOf({ within: $("#f-region").value || null, year: null });
  const years = board.years;
  const from = $("#f-from");
  const to = $("#f-to");
  const keep = [from.value, to.value];
  const label = (y) => (y.in_progress ? t("in_progress_year", { year: y.year }) : String(y.year));
  for (const select of [from, to]) select.replaceChildren(...years.map((y) => el("option", { value: String(y.year), "data-in-progress": y.in_progress ? "true" : null }, label(y))));
  const chosen = board.year == null ? "" : String(board.year);
  const has = (v) => years.some((y) => String(y.year) === v);
  from.value = !initial && has(keep[0]) ? keep[0] : chosen;
  to.value = !initial && has(keep[1]) ? keep[1] : chosen;
}

// The progress board (WASM, from the held sums) for the review filter and `request`.
function progressOf(request) {
  return JSON.parse(state.facts.progress(JSON.stringify({
    approved_only: $("#f-review").value === "approved",
    current_year: currentYear(),
    ...request,
  })));
}

function currentRequest() {
  const from = $("#f-from").value;
  const to = $("#f-to").value;
  return {
    within: $("#f-region").value || null,
    from: from ? +from : null,
    to: to ? +to : null,
    approved_only: $("#f-review").value === "approved",
    indicator: $("#f-indicator").value,
    current_year: currentYear(),
  };
}

// ---- recompute ---------------------------------------------------------------------------

function recompute() {
  performance.mark("recompute-start");
  const request = currentRequest();
  const dashboard = JSON.parse(state.facts.dashboard(JSON.stringify(request)));
  state.dashboard = dashboard;
  performance.mark("recompute-figures");
  performance.measure("recompute-wasm", "recompute-start", "recompute-figures");
  let drawing = 0;
  const options = (width, height) => JSON.stringify({ lang: currentLang(), width, height });
  const charts = [
    ["by_region", dashboard.by_region, "indicator_by_region"],
    ["trend", dashboard.trend, "trend"],
    ["straw_uses", dashboard.straw_uses, "straw_uses"],
    ["map", dashboard.map, "map"],
  ];
  // Drawn at the width it is shown at (a phone gets a narrow chart with horizontal bars,
  // not a wide one shrunk until its text cannot be read); the height asked for is a
  // minimum, as charts of many counties grow to keep their rows readable (the SVG's
  // height says how tall). Widths are read before the DOM changes, so the browser lays
  // the page out once, not once per chart.
  const widths = charts.map(([slot]) => $(`.chart[data-chart="${slot}"] .svg`).clientWidth);
  for (const [index, [slot, data, kind]] of charts.entries()) {
    const card = $(`.chart[data-chart="${slot}"]`);
    const box = $(".svg", card);
    let svg = null;
    const width = Math.round(Math.min(900, Math.max(340, widths[index] || 760)));
    const height = width < 560 ? 400 : 440;
    const t0 = performance.now();
    if (data && hasData(slot, data)) svg = renderChart(kind, JSON.stringify(data), options(width, height));
    drawing += performance.now() - t0;
    if (svg) box.innerHTML = svg;
    else box.replaceChildren(el("p", { class: "empty" }, slot === "trend" && !data ? t("trend_needs_region") : t("no_data")));
    box.setAttribute("aria-label", $("h2", card).textContent);
    const table = tableOf(slot, data, dashboard);
    renderTable(card, table);
    renderTools(card, slot, svg, table);
  }
  const to = $("#f-to").value;
  state.board = progressOf({ within: request.within, year: to ? +to : null });
  renderBoard(state.board);
  renderStrawLeftOut(dashboard);
  $("#summary").textContent = t("summary", {
    n: fmt.count(dashboard.households),
    asOf: state.asOf ? new Date(state.asOf).toLocaleString(locale()) : "—",
  });
  performance.mark("recompute-end");
  performance.measure("recompute", "recompute-start", "recompute-end");
  // The charts' SVG drawn by renderChart (WASM), the rest of the time after the figures
  // being tables, board and DOM.
  performance.measure("recompute-draw", { start: 0, duration: drawing });
  state.recomputes += 1;
  document.body.dataset.recomputes = String(state.recomputes);
}

// Under the straw chart, what its figures leave out and why: crop records whose crop has
// no 草谷比 for its county and year and whose straw was neither weighed nor counted. The
// analytics module counts them per crop (provenance.straw_crops_left_out) for the filters
// of the charts, all of them pooled; the crops are named as the form names them.
function renderStrawLeftOut(dashboard) {
  const slot = $("#straw-left-out");
  const provenance = dashboard.provenance;
  const crops = Object.keys(provenance ? provenance.straw_crops_left_out : {});
  slot.hidden = crops.length === 0;
  if (!crops.length) { slot.textContent = ""; return; }
  const options = SECTIONS.straw.fields.find((f) => f.key === "crop").options;
  const names = crops.map((key) => { const o = options.find((c) => c[0] === key); return o ? o[en() ? 2 : 1] : key; });
  const n = fmt.count(provenance.straw_crops_excluded);
  slot.textContent = t("straw_left_out", { n, crops: names.join(en() ? ", " : "、") });
}

function hasData(slot, data) {
  if (slot === "trend") return data.points.length > 0;
  if (slot === "map") return data.tiles.length > 0;
  return data.bars.length > 0;
}

// ---- tables: what each chart shows, as rows (also the CSV) ---------------------------------

function tableOf(slot, data, dashboard) {
  const n = (v) => ({ text: fmt.count(v), value: v, num: true });
  const r = (v) => ({ text: fmt.rate(v), value: v, num: true });
  const ci = (v) => ({ text: v.ci_low == null ? "—" : `${fmt.rate(v.ci_low)} – ${fmt.rate(v.ci_high)}`, value: v.ci_low == null ? "" : `${v.ci_low};${v.ci_high}`, num: true });
  if (slot === "by_region") {
    return {
      head: [t("county"), t("households"), indicatorName(data.indicator), t("ci"), t("target")],
      rows: data.bars.map((b) => ({ key: b.code, cells: [{ text: nameOf(b.name), value: nameOf(b.name) }, n(b.value.n), r(b.value.rate), ci(b.value), r(b.target ? b.target.rate : null)] })),
    };
  }
  if (slot === "trend") {
    if (!data) return { head: [], rows: [] };
    return {
      head: [t("year"), t("phase"), t("households"), indicatorName(data.indicator), t("ci")],
      rows: data.points.map((p) => {
        const phase = phaseOf(data, p.year);
        return { key: String(p.year), cells: [{ text: String(p.year), value: p.year }, { text: phase, value: phase }, n(p.value.n), r(p.value.rate), ci(p.value)] };
      }),
    };
  }
  if (slot === "straw_uses") {
    return {
      head: [t("county"), t("households"), ...STRAW_USES.map((u) => u[en() ? 2 : 1])],
      rows: data.bars.map((b) => ({ key: b.code, cells: [{ text: nameOf(b.name), value: nameOf(b.name) }, n(b.n), ...b.shares.map(r)] })),
    };
  }
  return {
    head: [t("county"), t("households"), indicatorName(data.indicator), t("ci")],
    rows: data.tiles.map((tile) => ({ key: tile.code, cells: [{ text: nameOf(tile.name), value: nameOf(tile.name) }, n(tile.value.n), r(tile.value.rate), ci(tile.value)] })),
  };
}

// The phase of the trend region's own plan that `year` falls in ("" outside its plan).
function phaseOf(data, year) {
  const phase = (data.phases || []).find((p) => year >= p.first_year && year <= p.last_year);
  const name = phase ? (en() ? phase.name_en : phase.name_zh) : "";
  return year === data.year_in_progress ? `${name} (${t("in_progress")})`.trim() : name;
}

function renderTable(card, table) {
  const wrap = $(".table-wrap", card);
  const details = $("details", card);
  const build = () => {
    const head = el("tr", {}, ...table.head.map((h, i) => el("th", { class: i > 0 ? "num" : null }, h)));
    const rows = table.rows.map((row) => el("tr", { "data-key": row.key },
      ...row.cells.map((c) => el("td", { class: c.num ? "num" : null, "data-value": c.value == null ? "" : String(c.value) }, c.text))));
    wrap.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  };
  // Large tables (the points) are built only when opened.
  wrap.replaceChildren();
  details.ontoggle = () => { if (details.open && !wrap.firstChild) build(); };
  if (details.open || table.rows.length <= 200) build();
}

// ---- downloads ---------------------------------------------------------------------------

function renderTools(card, slot, svg, table) {
  const tools = $(".tools", card);
  const name = () => `${slot}-${currentRequest().indicator}-${currentRequest().from || ""}-${currentRequest().to || ""}`;
  const button = (label, action) => el("button", { type: "button", onclick: action, "data-download": label.toLowerCase(), disabled: !svg && label !== "CSV" }, label);
  tools.replaceChildren(
    button("SVG", () => save(new Blob([svg], { type: "image/svg+xml" }), `${name()}.svg`)),
    button("PNG", () => toPng(svg).then((blob) => save(blob, `${name()}.png`))),
    button("CSV", () => save(csvOf(table), `${name()}.csv`)),
  );
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// The SVG rasterized by the browser: drawn on a canvas at twice its size.
function toPng(svg) {
  return new Promise((resolve, reject) => {
    const size = svg.match(/<svg[^>]*width="(\d+)"[^>]*height="(\d+)"/);
    const [w, h] = size ? [+size[1], +size[2]] : [760, 440];
    const image = new Image();
    image.onload = () => {
      const canvas = el("canvas", { width: w * 2, height: h * 2 });
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("PNG"))), "image/png");
    };
    image.onerror = () => reject(new Error("SVG could not be drawn"));
    image.src = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  });
}

// CSV: UTF-8 with a byte-order mark and CRLF (opens in Excel on a Chinese-locale
// Windows); raw numbers, not the formatted text.
function csvOf(table) {
  const quote = (v) => {
    const s = v == null ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [table.head.map(quote).join(",")];
  for (const row of table.rows) lines.push(row.cells.map((c) => quote(c.value)).join(","));
  return new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
}

// ---- the progress board --------------------------------------------------------------------

function badge(status) {
  return el("span", { class: `status ${status}`, "data-status": status },
    el("span", { "aria-hidden": "true" }, ICONS[status]), t(`status_${status}`));
}

const pts = (v) => (v == null ? "—" : `${formatNumber(v, POINTS)} ${t("pp")}`);

function targetText(target) {
  return t("target_short", { cmp: t(target.comparison), value: fmt.rate(target.value), year: target.year });
}

// One cell: status (icon and word), the estimate with its interval and n, the target,
// the gain needed against the gain observed, the change from the previous year.
function cellOf(row, key) {
  const a = row.cells[key];
  const e = a.estimate;
  const lines = [badge(a.status), el("div", { class: "value", "data-value": e && e.rate != null ? String(e.rate) : "" }, fmt.rate(e ? e.rate : null))];
  if (e && e.rate != null) {
    lines.push(el("div", { class: "detail" }, e.ci_low == null ? t("n_only", { n: fmt.count(e.n) })
      : t("ci_n", { low: fmt.rate(e.ci_low), high: fmt.rate(e.ci_high), n: fmt.count(e.n) })));
  }
  if (a.target) {
    lines.push(el("div", { class: "detail", title: en() ? a.target.origin_en : a.target.origin_zh }, targetText(a.target)));
    if (a.target_year_passed && (a.status === "behind")) lines.push(el("div", { class: "detail" }, t("year_passed")));
    else if (a.required_gain_pp != null && ["on_track", "behind"].includes(a.status)) {
      lines.push(el("div", { class: "detail gains" }, a.observed_gain_pp == null
        ? t("gains_unknown", { required: pts(a.required_gain_pp), n: state.board.min_n })
        : t("gains", { required: pts(a.required_gain_pp), observed: pts(a.observed_gain_pp), se: formatNumber(a.observed_gain_se_pp, { maximumFractionDigits: 1 }) })));
    }
  } else if (a.status !== "insufficient" && state.me && state.me.role === "admin") {
    lines.push(el("a", { class: "set-target", href: `/admin/?region=${encodeURIComponent(row.kind === "group" ? "" : row.code)}#targets` }, t("set_target")));
  }
  if (a.previous && a.previous.rate != null && e && e.rate != null) {
    lines.push(el("div", { class: "detail" }, t("previous", { year: a.previous.year, rate: fmt.rate(a.previous.rate), change: pts((e.rate - a.previous.rate) * 100) })));
  }
  const explain = t(`explain_${a.status}`, { n: state.board.min_n });
  return el("td", { class: "cell", "data-indicator": key, "data-status": a.status, title: explain }, ...lines);
}

function rowName(row) {
  const name = en() ? row.name_en : row.name_zh;
  if (row.kind !== "group") return el("th", { scope: "row", class: `level-${row.level || "none"}` }, name);
  const members = row.members.map((c) => state.byCode.get(c)).filter(Boolean).map((r) => (en() ? r.name_en : r.name_zh));
  return el("th", { scope: "row", class: "group" }, el("span", { class: "tag" }, t("group_tag")), " ", name,
    el("div", { class: "detail" }, t("group_members", { names: members.join(en() ? ", " : "、") })));
}

function renderBoard(board) {
  const region = $("#f-region").value;
  const regionName = region ? nameOf({ zh: state.byCode.get(region).name_zh, en: state.byCode.get(region).name_en }) : t("all_regions");
  $("#board-heading").textContent = board.year == null ? t("board_empty") : t("board_title", { year: board.year, region: regionName });
  $("#report-link").href = `/report/?${new URLSearchParams(Object.entries({ region, year: board.year ?? "", review: $("#f-review").value === "approved" ? "approved" : "" }).filter(([, v]) => v !== ""))}`;
  const notes = [t("board_default", { n: board.min_n })];
  const chosen = board.years.find((y) => y.year === board.year);
  if (chosen && chosen.in_progress) notes.unshift(t("board_chosen_in_progress", { year: board.year }));
  for (const y of board.years.filter((y) => y.in_progress && y.year !== board.year)) notes.push(t("board_in_progress", { year: y.year, households: fmt.count(y.households) }));
  $("#board-note").textContent = notes.join(" ");
  $("#legend").replaceChildren(...STATUSES.map((s) => el("span", { class: "legend-item", title: t(`explain_${s}`, { n: board.min_n }) }, badge(s), " ", t(`explain_${s}`, { n: board.min_n }))));
  const head = el("tr", {}, el("th", {}, t("region_col")), el("th", { class: "num" }, t("households")),
    ...BOARD_INDICATORS.map((key) => el("th", {}, indicatorName(key))));
  const rows = board.rows.map((row) => el("tr", { "data-key": row.code, "data-kind": row.kind, class: row.kind === "group" ? "group-row" : `level-${row.level}` },
    rowName(row), el("td", { class: "num" }, fmt.count(row.households)), ...BOARD_INDICATORS.map((key) => cellOf(row, key))));
  $("#board").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  renderTargets(board);
}

// The targets and plan of the selected region (the board's first row), each target
// with where it comes from in words.
function renderTargets(board) {
  const box = $("#board-targets");
  const row = board.rows[0];
  if (!row || board.year == null) { box.replaceChildren(); return; }
  const name = en() ? row.name_en : row.name_zh;
  const plan = row.plan;
  const planLine = !plan ? t("plan_none")
    : plan.phase ? t("plan_line", { plan: en() ? plan.name_en : plan.name_zh, source: plan.source, year: board.year, phase: en() ? plan.phase.name_en : plan.phase.name_zh, first: plan.phase.first_year, last: plan.phase.last_year })
      : t("plan_outside", { plan: en() ? plan.name_en : plan.name_zh, source: plan.source, year: board.year });
  const items = BOARD_INDICATORS.map((key) => {
    const target = row.cells[key].target;
    const text = target ? t("target_line", { indicator: indicatorName(key), cmp: t(target.comparison), value: fmt.rate(target.value), year: target.year, origin: en() ? target.origin_en : target.origin_zh, source: target.source })
      : t("no_target_line", { indicator: indicatorName(key) });
    return el("li", { "data-indicator": key, "data-origin": target ? target.origin : "none" }, text);
  });
  box.replaceChildren(el("h3", {}, t("targets_heading", { region: name })), el("p", { class: "plan", "data-plan": plan ? plan.region_code : "" }, planLine), el("ul", {}, ...items));
}

startPage({
  links: [["/review/", "page_review"]],
  signInHeading: "signin_title",
  start,
  relabel: () => {
    applyLanguage();
    if (state.facts) {
      relabelFilters();
      recompute();
    }
  },
});
