// The annual report of one region and year, printable on A4: every indicator against its
// target with its status, the change from the previous year, the status of every county
// and of the pilot group, charts, data-quality notes, what was estimated, and the method.
//
// Everything comes from the API, as for any client: the progress board
// (/api/v1/progress, the crate's assessment), the time the figures were computed
// (/api/v1/indicators) and the charts drawn by the server (/api/v1/charts/{kind}.svg),
// inlined as SVG so that they print sharp. The page decides nothing itself.
//
// The address names the report: /report/?region=542500&year=2025 (&review=approved);
// without them, the caller's region (阿里地区 for a caller who may see it all) and the
// board's default year. body[data-state] is "ready" once the report is drawn, and
// body[data-renders] counts the drawings (the tests wait on them).
import { api, request } from "../shared/api.js";
import { $, el } from "../shared/dom.js";
import { applyLanguage, showFailureLine as showFailure, startPage } from "../shared/page.js";
import { PAGES } from "../shared/glossary.js";
import { BOARD_INDICATORS, ICONS, INDICATORS, PROGRESS_WORDS } from "../shared/progress-words.js";
import { en, formatNumber, formatTime, t, useWords } from "../shared/words.js";

// The region a report opens on for a caller whose scope holds it: the plan's region.
const DEFAULT_REGION = "542500";
// A4 less the 15 mm margins of report.css's @page is 180 mm wide, 680 CSS px: charts are
// drawn at that size, so that they print one to one, and scale down on a phone.
const CHART_WIDTH = 680;
const TREND_HEIGHT = 300;
// Years with n ≥ 30 a trend needs (analytics' MIN_TREND_YEARS), for the "trend unknown" words.
const TREND_YEARS = 3;

const WORDS = {
  title: PAGES.report,
  signin_title: ["登录以查看年度报告", "Sign in to see the annual report"],
  region: ["地区", "Region"],
  year: ["年份", "Year"],
  review: ["审核", "Review"],
  review_counted: ["全部计入(不含退回)", "All counted (not rejected)"],
  review_approved: ["仅已通过", "Approved only"],
  print: ["打印 / Print", "Print / 打印"],
  loading: ["正在生成报告…", "Preparing the report…"],
  in_progress_year: ["{year}(进行中)", "{year} (in progress)"],
  report_title: ["{region} {year} 年度农业废弃物资源化利用情况报告", "{region}: agricultural waste utilization, annual report {year}"],
  no_data: ["{region}暂无调查数据,无法生成报告。", "{region} has no survey data yet: there is nothing to report."],
  meta_as_of: ["数据截至", "Data as of"],
  meta_review: ["计入的调查", "Surveys counted"],
  meta_households: ["调查户数", "Households surveyed"],
  meta_plan: ["规划与阶段", "Plan and phase"],
  households_value: ["{n} 户", "{n}"],
  plan_line: ["{plan}:{year} 年属{phase}({first}–{last} 年)。来源:{source}", "{plan}: {year} falls in its {phase} ({first}–{last}). Source: {source}"],
  plan_outside: ["{plan}:{year} 年不在其规划期内。来源:{source}", "{plan}: {year} lies outside its period. Source: {source}"],
  plan_none: ["该地区没有规划阶段。", "No plan phases apply to this region."],
  year_in_progress: ["注意:{year} 年尚未结束,本报告为不完整数据。", "Note: {year} is still in progress; this report's figures are partial."],
  summary_heading: ["一、各项指标与目标", "1. Each indicator against its target"],
  col_indicator: ["指标", "Indicator"],
  col_estimate: ["估计值", "Rate"],
  col_ci: ["95% 区间", "95 % interval"],
  col_n: ["户数", "n"],
  col_previous: ["上年与变化", "Previous year, change"],
  col_target: ["目标", "Target"],
  col_status: ["状态", "Status"],
  col_gain: ["年增幅:需要 / 实际", "Gain a year: needed / observed"],
  previous_cell: ["{year} 年 {rate}", "{year}: {rate}"],
  no_previous: ["无上年数据", "no earlier year"],
  target_cell: ["{cmp}{value}({year} 年)", "{cmp}{value} by {year}"],
  source: ["来源:{source}", "Source: {source}"],
  gain_needed: ["需要 {value}/年", "needed {value}/yr"],
  gain_observed: ["实际 {value} ± {se}/年", "observed {value} ± {se}/yr"],
  gain_unknown: ["趋势未知(不足 {years} 年各 {n} 户以上)", "trend unknown (fewer than {years} years of n ≥ {n})"],
  year_passed: ["目标年已过", "the target year has passed"],
  pp: ["个百分点", "pp"],
  without_target_note: ["后三项指标没有规划目标,仅报告估计值。状态的判断规则见第二部分末尾。", "The last three indicators have no target in the plans: their estimates are reported only. How a status is decided: end of part 2."],
  legend_heading: ["状态的判断(依次判断,先符合者为准)", "How a status is decided (first rule that holds)"],
  counties_heading: ["二、各县与试点县分组的状态", "2. Status of each county and of the pilot group"],
  counties_note: ["每格为状态、{year} 年估计值与户数;少于 {n} 户的估计不作判断。试点县分组按其各县调查合并计算。", "Each cell: status, {year} estimate and households; estimates from fewer than {n} households are not judged. The pilot group pools its counties' surveys."],
  col_region: ["地区 / 分组", "Region / group"],
  group_tag: ["分组", "group"],
  group_members: ["含:{names}", "Counties: {names}"],
  cell_n: ["{n} 户", "n = {n}"],
  charts_heading: ["三、图表:{indicator}", "3. Charts: {indicator}"],
  chart_by_county: ["{year} 年各县{indicator}(虚线为目标)", "{indicator} by county, {year} (dashed line: target)"],
  chart_trend: ["{region}{indicator}历年趋势与规划阶段", "{indicator} in {region} over the years, with the plan phases"],
  chart_failed: ["图表无法加载:{error}", "The chart could not be loaded: {error}"],
  notes_heading: ["四、数据质量与估算说明", "4. Data quality and what was estimated"],
  quality_heading: ["数据质量", "Data quality"],
  estimated_heading: ["估算部分与未计入部分", "What was estimated and what was left out"],
  q_warnings: ["{year} 年共 {surveys} 份调查,其中 {k} 份({share})保存时带有校验提示(数值超出常见范围等),记录已保留。", "Of {surveys} surveys in {year}, {k} ({share}) were stored with validation warnings (values outside the usual range and the like); the records are kept."],
  q_small: ["以下估计少于 {n} 户,区间较宽,不作达标判断:", "These estimates rest on fewer than {n} households; their intervals are wide and they are not judged:"],
  q_small_item: ["{indicator}:{list}。", "{indicator}: {list}."],
  q_small_none: ["所有估计均有至少 {n} 户。", "Every estimate rests on at least {n} households."],
  q_no_estimate: ["{name} 无数据", "{name} no data"],
  q_n: ["{name} {n} 户", "{name} n = {n}"],
  q_implausible: ["以下比率超过 100%,判为数据异常,不计为达标,请先核查:{list}。", "These rates exceed 100 %: marked implausible, never counted as met, to be checked first: {list}."],
  q_implausible_item: ["{name}{indicator} {rate}({n} 户)", "{name}, {indicator}: {rate} (n = {n})"],
  q_implausible_none: ["没有超过 100% 的比率。", "No rate exceeds 100 %."],
  q_returns: ["{k} 户交回的农药包装多于当年使用量(可能含往年库存):记录有效,已标记。", "{k} households returned more pesticide packages than they used that year (perhaps earlier years' stock): the records are valid and flagged."],
  q_returns_none: ["没有农户交回的农药包装多于当年使用量。", "No household returned more pesticide packages than it used that year."],
  q_film: ["地膜亩用量中位数为 {median} kg/亩;{k} 份调查偏离中位数超过 3 个标准化绝对中位差,需核查。", "Median film use is {median} kg/mu; {k} surveys lie more than 3 scaled median absolute deviations from it and should be checked."],
  q_film_none: ["地膜亩用量中位数为 {median} kg/亩,没有明显偏离的调查。", "Median film use is {median} kg/mu; no survey lies far from it."],
  e_straw: ["秸秆可收集量共 {total} kg,其中实测 {measured}({measured_share}),由产量 × 草谷比 × 收集系数估算 {estimated}({estimated_share})。", "Collectable straw: {total} kg, of which {measured} ({measured_share}) measured and {estimated} ({estimated_share}) estimated from yield × straw-to-grain ratio × collectable coefficient."],
  e_straw_none: ["本年没有计入的秸秆记录。", "No straw record counted this year."],
  e_straw_excluded: ["{k} 条作物记录未计入秸秆利用率:其草谷比尚未确认或未填产量,报告不作猜测(可由管理员设定有来源的草谷比,或在调查中实测秸秆量)。", "{k} crop records are left out of the straw rate: their straw-to-grain ratio is unconfirmed or no yield was given, and the report does not guess (an admin can set a ratio with its source, or technicians can measure the straw)."],
  e_straw_excluded_none: ["没有作物记录被剔除。", "No crop record was left out."],
  e_dung: ["牦牛粪产生量共 {total} kg,其中实测 {measured}({measured_share}),按存栏数 × 天数 × 每头日产系数估算 {estimated}({estimated_share})。", "Yak dung produced: {total} kg, of which {measured} ({measured_share}) measured and {estimated} ({estimated_share}) estimated as head × days × a per-head daily coefficient."],
  e_dung_none: ["本年没有计入的牦牛粪记录。", "No yak dung record counted this year."],
  e_dung_excluded: ["{k} 份牦牛粪记录无法估算产生量,未计入。", "{k} yak dung sections could not be estimated and are left out."],
  e_dung_excluded_none: ["没有牦牛粪记录被剔除。", "No yak dung section was left out."],
  method_heading: ["五、方法说明", "5. Method"],
  method_ratio: ["各项比率为总量之比(Σ分子 ÷ Σ分母),按调查权重加权,而非各户比率的平均;分母为零的组没有比率。", "Every rate is a ratio of totals (Σ numerator ÷ Σ denominator) with the survey weights, never the mean of households' ratios; a group whose denominator is zero has no rate."],
  method_se: ["标准误用泰勒线性化(有放回近似)计算;95% 区间为估计值 ± t(0.975, n−1) × 标准误(n−1 自由度的 t 分布),n 为有该部分记录的户数。", "Standard errors by Taylor linearization (with-replacement approximation); the 95 % interval is the estimate ± t(0.975, n−1) × SE, Student's t with n−1 degrees of freedom, n being the households with the section."],
  method_n: ["少于 {n} 户的估计区间很宽,不作达标判断,也不计入趋势。默认年份为最近一个已结束、且至少有 {n} 户调查的年份;当年尚未结束时标明为进行中。", "Estimates from fewer than {n} households have wide intervals: they are not judged and do not count in a trend. The default year is the latest finished year with at least {n} households surveyed; a year still in progress is labelled so."],
  method_trend: ["趋势为历年估计值对年份的加权最小二乘回归(权重 1/标准误²,仅用各有至少 {n} 户的年份,至少 {years} 年);斜率及其标准误即实际年增幅。需要的年增幅 = (目标 − 估计值) ÷ (目标年 − 报告年)。", "The trend is a weighted least-squares fit of the yearly estimates on the year (weights 1/SE², years with n ≥ {n} only, at least {years} of them); its slope and standard error are the observed annual gain. The gain needed = (target − estimate) ÷ (target year − report year)."],
  method_target: ["目标依次取本地区目标、上级地区目标、全国目标(牦牛粪以全国畜禽粪污综合利用率目标代用),表中注明来源。", "The target is the region's own, else an enclosing region's, else the national one (for yak dung the national livestock-manure target stands in); the table says which, with its source."],
};

useWords({ ...PROGRESS_WORDS, ...WORDS });

const OTHER_INDICATORS = INDICATORS.map(([key]) => key).filter((key) => !BOARD_INDICATORS.includes(key));

const state = {
  me: null,
  byCode: new Map(),
  choices: [],
  renders: 0,
  // Each drawing's number: an answer arriving after a newer drawing began is dropped.
  drawing: 0,
};

const RATE = { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 };
const POINTS = { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "exceptZero" };
const fmt = {
  rate: (v) => (v == null ? "—" : formatNumber(v, RATE)),
  count: (v) => formatNumber(v),
  kg: (v) => formatNumber(v, { maximumFractionDigits: 0 }),
  pp: (v) => (v == null ? "—" : `${formatNumber(v, POINTS)} ${t("pp")}`),
  one: (v) => formatNumber(v, { maximumFractionDigits: 1 }),
};

const indicatorName = (key) => {
  const row = INDICATORS.find((i) => i[0] === key);
  return row ? row[en() ? 2 : 1] : key;
};
const regionName = (code) => {
  const r = state.byCode.get(code);
  return r ? (en() ? r.name_en : r.name_zh) : code;
};
const rowName = (row) => (en() ? row.name_en : row.name_zh);

function badge(status) {
  return el("span", { class: `status ${status}`, "data-status": status },
    el("span", { "aria-hidden": "true" }, ICONS[status]), t(`status_${status}`));
}

// ---- start ---------------------------------------------------------------------------

async function start() {
  applyLanguage();
  let me;
  try {
    me = await api("/api/v1/auth/me");
  } catch (err) {
    if (err.status !== 401) throw err;
    $("#signin").hidden = false;
    $("#report-app").hidden = true;
    $("#signout").hidden = true;
    document.body.dataset.state = "signin";
    return;
  }
  $("#signin").hidden = true;
  $("#signout").hidden = false;
  $("#report-app").hidden = false;
  state.me = me;
  const regions = await api("/api/v1/regions");
  state.byCode = new Map(regions.map((r) => [r.code, r]));
  state.choices = regionsInScope(me, regions);
  setupPickers();
  await draw();
}

// The regions a caller may pick: its scope and everything below it (a technician: its
// counties); a caller without a region: every province and what lies in it.
function regionsInScope(me, regions) {
  if (me.counties && me.counties.length) return me.counties.filter((c) => state.byCode.has(c)).map((code) => ({ code, depth: 0 }));
  const out = [];
  const walk = (code, depth) => {
    const r = state.byCode.get(code);
    if (!r) return;
    out.push({ code, depth });
    for (const child of r.children) walk(child, depth + 1);
  };
  if (me.scope_code) walk(me.scope_code, 0);
  else for (const r of regions.filter((r) => r.level === "province")) walk(r.code, 0);
  return out;
}

function setupPickers() {
  const params = new URLSearchParams(location.search);
  const allowed = new Set(state.choices.map((c) => c.code));
  const fallback = state.me.scope_code || (allowed.has(DEFAULT_REGION) ? DEFAULT_REGION : state.choices[0]?.code);
  const asked = params.get("region");
  const region = $("#p-region");
  region.replaceChildren(...state.choices.map((c) => el("option", { value: c.code, "data-depth": c.depth }, "")));
  region.value = asked && allowed.has(asked) ? asked : fallback;
  const year = params.get("year");
  $("#p-year").replaceChildren(...(year && /^\d{4}$/.test(year) ? [el("option", { value: year }, year)] : []));
  $("#p-review").value = params.get("review") === "approved" ? "approved" : "counted";
  relabelPickers();
  for (const select of document.querySelectorAll("#pickers select")) select.addEventListener("change", () => draw().catch(showFailure));
  $("#print").addEventListener("click", () => window.print());
}

function relabelPickers() {
  for (const option of $("#p-region").options) {
    option.textContent = "\u00a0\u00a0".repeat(+option.dataset.depth || 0) + regionName(option.value);
  }
  for (const option of $("#p-review").options) option.textContent = t(option.dataset.i18n);
  for (const option of $("#p-year").options) {
    option.textContent = option.dataset.inProgress ? t("in_progress_year", { year: option.value }) : option.value;
  }
}

function fillYears(board) {
  const select = $("#p-year");
  select.replaceChildren(...board.years.map((y) => el("option", { value: String(y.year), "data-in-progress": y.in_progress ? "true" : null }, "")));
  select.value = board.year == null ? "" : String(board.year);
  relabelPickers();
}

// ---- drawing ----------------------------------------------------------------------------

const query = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")).toString();

async function draw() {
  const drawing = ++state.drawing;
  document.body.dataset.state = "loading";
  $("#failure").hidden = true;
  $("#status-line").textContent = t("loading");
  const region = $("#p-region").value;
  const review = $("#p-review").value;
  const asked = $("#p-year").value ? +$("#p-year").value : null;
  const reviewParam = review === "approved" ? "approved" : null;
  const boardOf = (year) => api(`/api/v1/progress?${query({ region, year, review: reviewParam })}`);
  let board = await boardOf(asked);
  // A year without data for this region (the region just changed): its default year.
  if (asked != null && !board.years.some((y) => y.year === asked)) board = await boardOf(null);
  if (drawing !== state.drawing) return;
  fillYears(board);
  history.replaceState(null, "", `?${query({ region, year: board.year, review: reviewParam })}`);
  const row = board.rows.find((r) => r.kind === "region" && r.code === region);
  let sheets;
  if (board.year == null || !row) {
    sheets = [el("section", { class: "sheet", "data-sheet": "empty" }, el("h1", {}, t("no_data", { region: regionName(region) })))];
  } else {
    const [asOf, charts] = await Promise.all([
      api(`/api/v1/indicators?${query({ level: "all", region, year: board.year, review: reviewParam, indicator: BOARD_INDICATORS[0] })}`).then((r) => r.as_of),
      loadCharts(region, board, reviewParam),
    ]);
    if (drawing !== state.drawing) return;
    sheets = [
      summarySheet(board, row, asOf, review),
      countiesSheet(board),
      ...BOARD_INDICATORS.map((key) => chartSheet(board, row, key, charts[key])),
      notesSheet(board, row),
    ];
    document.title = t("report_title", { region: rowName(row), year: board.year });
  }
  $("#report").replaceChildren(...sheets);
  $("#status-line").textContent = "";
  state.renders += 1;
  document.body.dataset.renders = String(state.renders);
  document.body.dataset.state = "ready";
}

// Every chart of the report, drawn by the server in the page's language, as SVG text
// (or the error it met): per indicator the bars by county (when the region has counties
// below it) and the region's trend.
async function loadCharts(region, board, review) {
  const level = state.byCode.get(region)?.level;
  const counties = board.rows.filter((r) => r.kind === "region" && r.level === "county").length;
  const barHeight = Math.max(300, Math.min(560, 90 + 28 * counties));
  const lang = en() ? "en" : "zh";
  const svg = (kind, params) => request(`/api/v1/charts/${kind}.svg?${query({ ...params, review, lang, width: CHART_WIDTH })}`, { asText: true, headers: { accept: "image/svg+xml" } })
    .then((text) => ({ text }), (err) => ({ error: err.message }));
  const out = {};
  await Promise.all(BOARD_INDICATORS.map(async (indicator) => {
    const [bars, trend] = await Promise.all([
      level === "county" ? null : svg("indicator_by_region", { indicator, region, year: board.year, level: "county", height: barHeight }),
      svg("trend", { indicator, region, height: TREND_HEIGHT }),
    ]);
    out[indicator] = { bars, trend };
  }));
  return out;
}

// An SVG chart from its text, as a node of this document (parsed as SVG, never as HTML).
function chartFigure(caption, chart, kind) {
  const figure = el("figure", { class: "chart", "data-chart": kind });
  const doc = chart.text ? new DOMParser().parseFromString(chart.text, "image/svg+xml") : null;
  const svg = doc && doc.documentElement.nodeName === "svg" && !doc.querySelector("parsererror") ? document.importNode(doc.documentElement, true) : null;
  if (svg) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", caption);
    figure.append(svg);
  } else {
    figure.append(el("p", { class: "bad" }, t("chart_failed", { error: chart.error || "SVG" })));
  }
  figure.append(el("figcaption", {}, caption));
  return figure;
}

// ---- 1. summary ---------------------------------------------------------------------------

function planText(board, plan) {
  if (!plan) return t("plan_none");
  const name = en() ? plan.name_en : plan.name_zh;
  if (!plan.phase) return t("plan_outside", { plan: name, year: board.year, source: plan.source });
  return t("plan_line", { plan: name, year: board.year, phase: en() ? plan.phase.name_en : plan.phase.name_zh, first: plan.phase.first_year, last: plan.phase.last_year, source: plan.source });
}

function summarySheet(board, row, asOf, review) {
  const chosen = board.years.find((y) => y.year === board.year);
  const meta = [
    ["meta_as_of", formatTime(asOf)],
    ["meta_review", t(`review_${review}`)],
    ["meta_households", t("households_value", { n: fmt.count(row.households) })],
    ["meta_plan", planText(board, row.plan)],
  ];
  const head = el("tr", {}, ...["col_indicator", "col_estimate", "col_ci", "col_n", "col_previous", "col_target", "col_status", "col_gain"]
    .map((key, i) => el("th", { scope: "col", class: [1, 2, 3].includes(i) ? "num" : null }, t(key))));
  const rows = [...BOARD_INDICATORS, ...OTHER_INDICATORS].map((key) => summaryRow(board, row.cells[key], key));
  return el("section", { class: "sheet", "data-sheet": "summary" },
    el("h1", {}, t("report_title", { region: rowName(row), year: board.year })),
    chosen && chosen.in_progress ? el("p", { class: "in-progress" }, t("year_in_progress", { year: board.year })) : null,
    el("dl", { class: "meta" }, ...meta.flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", { "data-meta": key }, value)])),
    el("h2", {}, t("summary_heading")),
    el("div", { class: "table-wrap" }, el("table", { id: "summary-table", class: "summary" }, el("thead", {}, head), el("tbody", {}, ...rows))),
    el("p", { class: "note" }, t("without_target_note")),
  );
}

function summaryRow(board, a, key) {
  const e = a.estimate;
  const hasRate = e && e.rate != null;
  const previous = a.previous && a.previous.rate != null
    ? [el("div", {}, t("previous_cell", { year: a.previous.year, rate: fmt.rate(a.previous.rate) })),
      hasRate ? el("div", { class: "change", "data-change-pp": String((e.rate - a.previous.rate) * 100) }, fmt.pp((e.rate - a.previous.rate) * 100)) : null]
    : [el("div", { class: "muted" }, t("no_previous"))];
  const target = a.target
    ? [el("div", {}, t("target_cell", { cmp: t(a.target.comparison), value: fmt.rate(a.target.value), year: a.target.year })),
      el("div", { class: "detail", "data-origin": a.target.origin }, en() ? a.target.origin_en : a.target.origin_zh),
      el("div", { class: "detail" }, t("source", { source: a.target.source }))]
    : [el("div", { class: "muted" }, t("status_no_target"))];
  return el("tr", { "data-indicator": key, class: BOARD_INDICATORS.includes(key) ? "targeted" : "untargeted" },
    el("th", { scope: "row" }, indicatorName(key)),
    el("td", { class: "num value", "data-value": hasRate ? String(e.rate) : "" }, fmt.rate(hasRate ? e.rate : null)),
    el("td", { class: "num" }, hasRate && e.ci_low != null ? `${fmt.rate(e.ci_low)} – ${fmt.rate(e.ci_high)}` : "—"),
    el("td", { class: "num" }, e ? fmt.count(e.n) : "0"),
    el("td", {}, ...previous),
    el("td", {}, ...target),
    el("td", { class: "status-cell", "data-status": a.status, title: t(`explain_${a.status}`, { n: board.min_n }) }, badge(a.status)),
    el("td", {}, ...gainLines(board, a)),
  );
}

// The gain a year still needed beside the one observed; only where a target applies and
// is not yet met.
function gainLines(board, a) {
  if (!a.target || !["on_track", "behind"].includes(a.status)) return ["—"];
  if (a.target_year_passed) return [el("div", {}, t("year_passed"))];
  const lines = [];
  if (a.required_gain_pp != null) lines.push(el("div", {}, t("gain_needed", { value: fmt.pp(a.required_gain_pp) })));
  lines.push(el("div", {}, a.observed_gain_pp == null
    ? t("gain_unknown", { years: TREND_YEARS, n: board.min_n })
    : t("gain_observed", { value: fmt.pp(a.observed_gain_pp), se: fmt.one(a.observed_gain_se_pp) })));
  return lines;
}

// ---- 2. counties ---------------------------------------------------------------------------

function countiesSheet(board) {
  const head = el("tr", {}, el("th", { scope: "col" }, t("col_region")), el("th", { scope: "col", class: "num" }, t("col_n")),
    ...BOARD_INDICATORS.map((key) => el("th", { scope: "col" }, indicatorName(key))));
  const rows = board.rows.map((row) => el("tr", { "data-key": row.code, "data-kind": row.kind, class: row.kind === "group" ? "group-row" : `level-${row.level}` },
    nameCell(row), el("td", { class: "num" }, fmt.count(row.households)),
    ...BOARD_INDICATORS.map((key) => {
      const a = row.cells[key];
      const e = a.estimate;
      return el("td", { class: "cell", "data-indicator": key, "data-status": a.status, title: t(`explain_${a.status}`, { n: board.min_n }) },
        badge(a.status),
        el("div", { class: "value" }, fmt.rate(e ? e.rate : null)),
        el("div", { class: "detail" }, t("cell_n", { n: fmt.count(e ? e.n : 0) })));
    })));
  return el("section", { class: "sheet", "data-sheet": "counties" },
    el("h2", {}, t("counties_heading")),
    el("p", { class: "note" }, t("counties_note", { year: board.year, n: board.min_n })),
    el("div", { class: "table-wrap" }, el("table", { id: "county-table", class: "counties" }, el("thead", {}, head), el("tbody", {}, ...rows))),
    // The rules of both tables' statuses, in rule order: the first that holds decides.
    el("h3", {}, t("legend_heading")),
    el("ul", { class: "legend" }, ...["implausible", "insufficient", "no_target", "met", "likely", "on_track", "behind"]
      .map((s) => el("li", {}, badge(s), " ", t(`explain_${s}`, { n: board.min_n })))));
}

function nameCell(row) {
  if (row.kind !== "group") return el("th", { scope: "row", class: `level-${row.level || "none"}` }, rowName(row));
  const members = row.members.map(regionName).join(en() ? ", " : "、");
  return el("th", { scope: "row", class: "group" }, el("span", { class: "tag" }, t("group_tag")), " ", rowName(row),
    el("div", { class: "detail" }, t("group_members", { names: members })));
}

// ---- 3. charts ---------------------------------------------------------------------------

function chartSheet(board, row, key, charts) {
  const name = indicatorName(key);
  return el("section", { class: "sheet charts", "data-sheet": `chart-${key}` },
    el("h2", {}, t("charts_heading", { indicator: name })),
    charts.bars ? chartFigure(t("chart_by_county", { year: board.year, indicator: name }), charts.bars, "indicator_by_region") : null,
    chartFigure(t("chart_trend", { region: rowName(row), indicator: name }), charts.trend, "trend"));
}

// ---- 4. data quality, what was estimated; 5. method -------------------------------------------

function notesSheet(board, row) {
  const ind = row.indicators || {};
  const quality = ind.quality || {};
  const provenance = ind.provenance || {};
  const n = board.min_n;
  const share = (part, whole) => fmt.rate(whole > 0 ? part / whole : null);

  const qualityNotes = [];
  if (quality.surveys) {
    qualityNotes.push(el("li", { "data-note": "warnings" }, t("q_warnings", { year: board.year, surveys: fmt.count(quality.surveys), k: fmt.count(quality.surveys_with_warnings), share: fmt.rate(quality.warning_share) })));
  }
  // Every estimate of every row below the households a judgement needs, by indicator.
  const small = BOARD_INDICATORS.map((key) => {
    const items = board.rows.filter((r) => r.cells[key].status === "insufficient").map((r) => {
      const e = r.cells[key].estimate;
      return e && e.rate != null ? t("q_n", { name: rowName(r), n: fmt.count(e.n) }) : t("q_no_estimate", { name: rowName(r) });
    });
    return items.length ? el("li", { "data-indicator": key }, t("q_small_item", { indicator: indicatorName(key), list: items.join(en() ? ", " : "、") })) : null;
  }).filter(Boolean);
  qualityNotes.push(small.length
    ? el("li", { "data-note": "small_n" }, t("q_small", { n }), el("ul", {}, ...small))
    : el("li", { "data-note": "small_n" }, t("q_small_none", { n })));
  const implausible = board.rows.flatMap((r) => INDICATORS.map(([key]) => [r, key]).filter(([, key]) => r.cells[key].status === "implausible"))
    .map(([r, key]) => t("q_implausible_item", { name: rowName(r), indicator: indicatorName(key), rate: fmt.rate(r.cells[key].estimate.rate), n: fmt.count(r.cells[key].estimate.n) }));
  qualityNotes.push(el("li", { "data-note": "implausible" }, implausible.length ? t("q_implausible", { list: implausible.join(en() ? "; " : ";") }) : t("q_implausible_none")));
  qualityNotes.push(el("li", { "data-note": "returns" }, quality.households_returned_exceeds_used
    ? t("q_returns", { k: fmt.count(quality.households_returned_exceeds_used) }) : t("q_returns_none")));
  if (quality.film_kg_per_mu_median != null) {
    const outliers = (quality.film_kg_per_mu_outliers || []).length;
    qualityNotes.push(el("li", { "data-note": "film_outliers" }, t(outliers ? "q_film" : "q_film_none", { median: fmt.one(quality.film_kg_per_mu_median), k: fmt.count(outliers) })));
  }

  const strawTotal = (provenance.straw_measured_kg || 0) + (provenance.straw_estimated_kg || 0);
  const dungTotal = (provenance.dung_measured_kg || 0) + (provenance.dung_estimated_kg || 0);
  const estimated = [
    el("li", { "data-note": "straw" }, strawTotal > 0
      ? t("e_straw", { total: fmt.kg(strawTotal), measured: fmt.kg(provenance.straw_measured_kg), measured_share: share(provenance.straw_measured_kg, strawTotal), estimated: fmt.kg(provenance.straw_estimated_kg), estimated_share: share(provenance.straw_estimated_kg, strawTotal) })
      : t("e_straw_none")),
    el("li", { "data-note": "straw_excluded" }, provenance.straw_crops_excluded
      ? t("e_straw_excluded", { k: fmt.count(provenance.straw_crops_excluded) }) : t("e_straw_excluded_none")),
    el("li", { "data-note": "dung" }, dungTotal > 0
      ? t("e_dung", { total: fmt.kg(dungTotal), measured: fmt.kg(provenance.dung_measured_kg), measured_share: share(provenance.dung_measured_kg, dungTotal), estimated: fmt.kg(provenance.dung_estimated_kg), estimated_share: share(provenance.dung_estimated_kg, dungTotal) })
      : t("e_dung_none")),
    el("li", { "data-note": "dung_excluded" }, provenance.dung_sections_excluded
      ? t("e_dung_excluded", { k: fmt.count(provenance.dung_sections_excluded) }) : t("e_dung_excluded_none")),
  ];

  return el("section", { class: "sheet notes", "data-sheet": "notes" },
    el("h2", {}, t("notes_heading")),
    el("h3", {}, t("quality_heading")), el("ul", { id: "quality-notes" }, ...qualityNotes),
    el("h3", {}, t("estimated_heading")), el("ul", { id: "estimated-notes" }, ...estimated),
    el("h2", {}, t("method_heading")),
    el("div", { class: "method" }, ...["method_ratio", "method_se", "method_n", "method_trend", "method_target"]
      .map((key) => el("p", {}, t(key, { n, years: TREND_YEARS })))));
}

startPage({
  links: [["/dashboard/", "page_dashboard"]],
  signInHeading: "signin_title",
  start,
  relabel: () => {
    applyLanguage();
    if (state.me) {
      relabelPickers();
      draw().catch(showFailure);
    }
  },
});
