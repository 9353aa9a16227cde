// The bureau dashboard. Household facts are loaded once (GET /api/v1/facts); the
// analytics crate, compiled to WASM, computes every figure and draws every chart in the
// browser, so a filter change recomputes locally without asking the server again.
//
// Performance marks for the benchmark: measure "first-chart" (navigation start to the
// first chart on screen, after facts and targets are loaded), "facts-fetch",
// "facts-parse" and, on every filter change, "recompute" (WASM figures, four charts,
// tables and board in the DOM). document.body.dataset.recomputes counts the recomputes.
import init, { FactSet, renderChart } from "/pkg/agriwaste_analytics.js";
import { api } from "/shared/api.js";
import { SECTIONS } from "/shared/fields.js";
import { $, el } from "/shared/dom.js";
import { applyLanguage, showFailureLine as showFailure, startPage } from "/shared/page.js";
import { currentLang, en, formatNumber, locale, t, useWords } from "/shared/words.js";

const INDICATORS = [
  ["film_recovery_rate", "农膜回收率", "Film recovery rate"],
  ["pesticide_packaging_recovery_rate", "农药包装废弃物回收率", "Pesticide packaging recovery rate"],
  ["pesticide_packaging_recovery_rate_kg", "农药包装回收率(重量)", "Pesticide packaging recovery (kg)"],
  ["straw_utilization_rate", "秸秆综合利用率", "Straw utilization rate"],
  ["yak_dung_utilization_rate", "牦牛粪综合利用率", "Yak dung utilization rate"],
  ["film_thickness_compliance_rate", "地膜厚度达标率", "Film thickness compliance"],
  ["degradable_film_share", "可降解地膜占比", "Degradable film share"],
];
const STRAW_USES = [
  ["fertilizer", "肥料化", "Fertilizer"], ["feed", "饲料化", "Feed"], ["substrate", "基料化", "Substrate"],
  ["fuel", "燃料化", "Fuel"], ["raw_material", "原料化", "Raw material"],
];
const PHASES = { baseline: ["基线年", "baseline"], near: ["近期", "near term"], mid: ["中期", "mid term"], long: ["远期", "long term"] };
// Households drawn on the points chart: a sample (survey-id order is random); more
// dots than this only cover each other and slow every redraw.
const MAP_POINTS = 2000;
// A gap this close to the target (percentage points) counts as "near".
const NEAR_PP = 5;

const WORDS = {
  title: ["指标看板", "Indicator dashboard"],
  review_page: ["调查审核", "Survey review"],
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
  chart_map: ["调查点位", "Survey points"],
  table_view: ["表格", "Table"],
  board_title: ["目标进度", "Target progress"],
  year: ["年份", "Year"],
  phase: ["规划阶段", "Plan phase"],
  households: ["户数", "Households"],
  rate: ["比率", "Rate"],
  ci: ["95% 区间", "95% interval"],
  target: ["目标", "Target"],
  gap: ["差距", "Gap"],
  lat: ["纬度", "Latitude"],
  lon: ["经度", "Longitude"],
  met: ["达标", "met"],
  near: ["接近", "near"],
  behind: ["未达标", "behind"],
  implausible: ["数据异常", "implausible"],
  no_target: ["无目标", "no target"],
  no_data: ["无数据", "no data"],
  pp: ["个百分点", "pp"],
  trend_needs_region: ["选择一个地区以查看趋势", "Choose a region to see its trend"],
  loading: ["正在加载调查数据…", "Loading survey facts…"],
  summary: ["{n} 户 · 数据截至 {asOf}", "{n} households · data as of {asOf}"],
  map_sample: ["(显示 {shown} / {located} 个有定位的农户)", "(showing {shown} of {located} located households)"],
  near_legend: ["差距在 {pp} 个百分点以内", "within {pp} points"],
};

useWords(WORDS);

const state = {
  facts: null, // FactSet (WASM)
  regions: [], // from /api/v1/regions
  byCode: new Map(),
  asOf: null,
  dashboard: null, // last Dashboard
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
const COORDINATE = { minimumFractionDigits: 4, maximumFractionDigits: 4 };
export const fmt = {
  rate: (v) => (v == null ? "—" : formatNumber(v, RATE)),
  count: (v) => formatNumber(v),
  pp: (v) => (v == null ? "—" : `${formatNumber(v, POINTS)} ${t("pp")}`),
  coord: (v) => formatNumber(v, COORDINATE),
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
  performance.mark("facts-fetch-start");
  const [regions, targets, body] = await Promise.all([
    api("/api/v1/regions"),
    api("/api/v1/targets", true),
    api("/api/v1/facts", true),
    wasm,
  ]);
  performance.mark("facts-fetch-end");
  performance.measure("facts-fetch", "facts-fetch-start", "facts-fetch-end");
  state.regions = regions;
  state.byCode = new Map(regions.map((r) => [r.code, r]));
  performance.mark("facts-parse-start");
  state.facts = new FactSet(body);
  state.facts.setTargets(targets);
  performance.mark("facts-parse-end");
  performance.measure("facts-parse", "facts-parse-start", "facts-parse-end");
  state.asOf = state.facts.asOf;
  document.body.dataset.bytes = String(body.length);
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
    const board = JSON.parse(state.facts.dashboard(JSON.stringify({ map_points: 0 }))).board;
    let code = board.length ? board[0].region_code : "";
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

// Years with data for the region and review filter; keeps the choice when it still exists,
// else shows the latest year.
function fillYears(initial) {
  const request = { within: $("#f-region").value || null, approved_only: $("#f-review").value === "approved", map_points: 0 };
  const years = JSON.parse(state.facts.dashboard(JSON.stringify(request))).years;
  const from = $("#f-from");
  const to = $("#f-to");
  const keep = [from.value, to.value];
  for (const select of [from, to]) select.replaceChildren(...years.map((y) => el("option", { value: String(y) }, String(y))));
  const latest = years.length ? String(years[years.length - 1]) : "";
  from.value = !initial && years.includes(+keep[0]) ? keep[0] : latest;
  to.value = !initial && years.includes(+keep[1]) ? keep[1] : latest;
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
    map_points: MAP_POINTS,
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
  // Drawn at the width it is shown at (a phone gets a narrow chart with rotated names,
  // not a wide one shrunk until its text cannot be read). Widths are read before the DOM
  // changes, so the browser lays the page out once, not once per chart.
  const widths = charts.map(([slot]) => $(`.chart[data-chart="${slot}"] .svg`).clientWidth);
  for (const [index, [slot, data, kind]] of charts.entries()) {
    const card = $(`.chart[data-chart="${slot}"]`);
    const box = $(".svg", card);
    let svg = null;
    const width = Math.round(Math.min(900, Math.max(340, widths[index] || 760)));
    const height = slot === "map" ? Math.round(width * 0.75) : width < 560 ? 400 : 440;
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
  renderBoard(dashboard);
  renderStrawLeftOut(request);
  $("#summary").textContent = t("summary", {
    n: fmt.count(dashboard.households),
    asOf: state.asOf ? new Date(state.asOf).toLocaleString(locale()) : "—",
  }) + " " + t("map_sample", { shown: fmt.count(dashboard.map.points.length), located: fmt.count(dashboard.located) });
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
function renderStrawLeftOut(request) {
  const slot = $("#straw-left-out");
  const report = JSON.parse(state.facts.computeIndicators(JSON.stringify(request), JSON.stringify({ level: null, by_year: false })));
  const provenance = report.groups.length ? report.groups[0].provenance : null;
  const crops = Object.keys(provenance ? provenance.straw_crops_left_out : {});
  slot.hidden = crops.length === 0;
  if (!crops.length) { slot.textContent = ""; return; }
  const options = SECTIONS.straw.fields.find((f) => f.key === "crop").options;
  const names = crops.map((key) => { const o = options.find((c) => c[0] === key); return o ? o[en() ? 2 : 1] : key; });
  const n = fmt.count(provenance.straw_crops_excluded);
  slot.textContent = en()
    ? `${n} crop records are not counted: no straw-to-grain ratio yet for ${names.join(", ")}, and their straw was neither weighed nor counted. An administrator can set the ratio under “Coefficients”.`
    : `未计入 ${n} 条作物记录:${names.join("、")}尚无草谷比,且未称重或计数。管理员可在「系数」中设定。`;
}

function hasData(slot, data) {
  if (slot === "trend") return data.points.length > 0;
  if (slot === "map") return data.points.length > 0;
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
        const phase = phaseOf(p.year);
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
    head: [t("lat"), t("lon"), indicatorName(data.indicator)],
    rows: data.points.map((p, i) => ({ key: String(i), cells: [{ text: fmt.coord(p.lat), value: p.lat, num: true }, { text: fmt.coord(p.lon), value: p.lon, num: true }, r(p.rate)] })),
  };
}

function phaseOf(year) {
  const key = year <= 2023 ? "baseline" : year <= 2025 ? "near" : year <= 2027 ? "mid" : "long";
  return PHASES[key][en() ? 1 : 0];
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

// ---- the target board ---------------------------------------------------------------------

function statusOf(progress) {
  if (!progress) return "none";
  // A rate above 100 % is a data problem before it is a result (REFERENCE.md).
  if (progress.implausible) return "implausible";
  if (progress.met) return "met";
  return Math.abs(progress.gap_pp) <= NEAR_PP ? "near" : "behind";
}

const ICONS = { met: "✓", near: "▲", behind: "✕", implausible: "!", none: "–" };

function badge(status) {
  const word = status === "none" ? t("no_target") : t(status);
  return el("span", { class: `status ${status}`, "data-status": status }, el("span", { "aria-hidden": "true" }, ICONS[status]), word);
}

function renderBoard(dashboard) {
  $("#board-year").textContent = dashboard.board_year ? `(${dashboard.board_year})` : "";
  $("#legend").replaceChildren(...["met", "near", "behind", "implausible", "none"].map((s) => {
    const b = badge(s);
    if (s === "near") b.append(` · ${t("near_legend", { pp: NEAR_PP })}`);
    return b;
  }));
  const head = el("tr", {}, el("th", {}, t("county")), el("th", { class: "num" }, t("households")),
    ...INDICATORS.map(([key]) => el("th", {}, indicatorName(key))));
  const rows = dashboard.board.map((g) => el("tr", { "data-key": g.region_code },
    el("td", {}, en() ? g.region_name_en || g.region_code : g.region_name_zh || g.region_code),
    el("td", { class: "num" }, fmt.count(g.households)),
    ...INDICATORS.map(([key]) => {
      const estimate = g.indicators[key];
      const progress = g.progress[key];
      const status = statusOf(progress);
      const rate = estimate ? estimate.rate : null;
      return el("td", { class: "cell", "data-indicator": key, "data-status": status },
        el("div", { class: "value", "data-value": rate == null ? "" : String(rate) }, fmt.rate(rate)),
        progress ? el("div", { class: "detail" }, `${t("target")} ${fmt.rate(progress.target.target.target)} · ${t("gap")} ${fmt.pp(progress.gap_pp)}`) : null,
        badge(status));
    })));
  $("#board").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

startPage({
  links: [["/review/", "review_page"]],
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
