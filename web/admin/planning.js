// The admin page's planning sections: each region's targets and plan ("目标与规划"), the
// coefficients straw and dung are estimated with ("系数"), and the county groups shown
// beside the counties ("县域分组"). Everything goes through the API: which target applies
// to a region and where it comes from (`GET /api/v1/targets/applicable`, which says it in
// words), the plan a region follows (`GET /api/v1/plans?region=`), the coefficients
// (`/api/v1/coefficients`) and the groups (`/api/v1/groups`). The server refuses what is
// wrong and says why, naming the field; the page puts the message next to that field.
// Every change is audited by the server and the figures recompute there.
//
// admin.js owns the page; it hands this module what the sections share with the rest of
// it (the regions, the field-error helpers, the audit reload) through `startPlanning`.
import { request } from "../shared/api.js";
import { $, el } from "../shared/dom.js";
import { SECTIONS } from "../shared/fields.js";
import { en, formatNumber, formatTime, t } from "../shared/words.js";

/** The words of these sections, merged into the page's table by admin.js. */
export const PLANNING_WORDS = {
  targets_title: ["目标与规划", "Targets and plans"],
  targets_hint: [
    "每个地区的指标按适用的目标衡量:本地区目标,否则继承上级地区的目标,否则以全国目标代用。没有目标的指标显示“无目标”,可在此为本地区设定。",
    "Each region's figures are measured against the target that applies: its own, else an enclosing region's, else the national one as a proxy. An indicator without one says \"no target\"; set one here.",
  ],
  coefficients_title: ["系数", "Coefficients"],
  coefficients_hint: [
    "只记录产量时,秸秆可收集量 = 产量 × 草谷比 × 收集系数;只记录牦牛头数时,产粪量 = 头数 × 365 × 日排粪量。没有可靠来源的系数不设定,相应作物不计入秸秆利用率。改动后受影响的调查立即重算。",
    "Where only the yield is recorded, collectable straw = yield × straw-to-grain ratio × collectable coefficient; where only the herd size is, dung = head × 365 × dung per head per day. A coefficient without a confirmed source stays unset and its crop is left out of the straw rate. A change recomputes the surveys it applies to at once.",
  ],
  groups_title: ["县域分组", "County groups"],
  groups_hint: [
    "分组与各县并列显示,有自己的指标和目标进度;其目标与规划跟随包含全部成员的最近一级地区。系统内置的试点分组来自阿里地区规划,不能修改。",
    "Groups are shown beside the counties, with their own figures and progress; a group follows the targets and plan of the nearest region enclosing all its members. The shipped pilot group follows the Ali plan and cannot be changed.",
  ],
  pick_region: ["地区", "Region"],
  data_year: ["数据年份", "Data year"],
  national: ["全国", "National"],
  plan: ["规划", "Plan"],
  plan_years: ["{first}–{last} 年", "{first}–{last}"],
  plan_inherited: ["跟随上级地区 {name} 的规划", "follows the plan of the enclosing region {name}"],
  plan_own: ["本地区的规划", "this region's own plan"],
  no_plan: [
    "本地区及其上级地区均无规划:趋势图不画规划阶段,也不借用其他地区的阶段。",
    "No plan covers this region or any region above it: trends show no plan phases, and never another region's.",
  ],
  col_phase: ["阶段", "Phase"],
  col_phase_years: ["年份", "Years"],
  current_phase: ["({year} 年所在阶段)", "({year} falls here)"],
  plan_source: ["依据", "Source"],
  col_indicator: ["指标", "Indicator"],
  col_target: ["目标", "Target"],
  col_target_year: ["目标年份", "Target year"],
  col_origin: ["目标来源", "Where it comes from"],
  col_source: ["依据", "Source"],
  col_set_by: ["设定人", "Set by"],
  col_when: ["时间", "When"],
  applies_title: ["{region} {year} 年数据适用的目标", "Targets {region}'s {year} figures are measured against"],
  own_targets_title: ["{region}自己设定的目标", "Targets set for {region} itself"],
  no_own_targets: ["本地区尚未设定自己的目标", "no target set for this region itself yet"],
  at_least: ["不低于", "at least"],
  at_most: ["不高于", "at most"],
  target_text: ["{cmp} {value}({year} 年)", "{cmp} {value} by {year}"],
  set_target: ["设定目标", "Set a target"],
  set_own_target: ["为本地区设定", "Set for this region"],
  edit: ["编辑", "Edit"],
  delete: ["删除", "Delete"],
  target_form_title: ["为 {region} 设定目标", "Set a target for {region}"],
  f_indicator: ["指标", "Indicator"],
  f_target_year: ["目标年份", "Target year"],
  f_target_value: ["目标值(%)", "Target (%)"],
  f_comparison: ["比较方式", "Comparison"],
  f_source: ["依据(文件、任务编号,必填)", "Source (document, task number; required)"],
  need_year: ["请填写目标年份(如 2030)", "Give the target year (e.g. 2030)"],
  need_value: ["请填写目标值,以百分数表示(如 90)", "Give the target as a percentage (e.g. 90)"],
  saved_target: ["✓ 已保存目标:{region} · {indicator} · {text}", "✓ Target saved: {region} · {indicator} · {text}"],
  deleted_target: ["✓ 已删除目标:{region} · {indicator} · {year} 年", "✓ Target deleted: {region} · {indicator} · {year}"],
  confirm_delete_target: ["删除 {region} 的{indicator} {year} 年目标?", "Delete {region}'s {indicator} target for {year}?"],
  coef_applies_title: ["{region} {year} 年调查使用的系数", "Coefficients {region}'s {year} surveys are estimated with"],
  col_coefficient: ["系数", "Coefficient"],
  col_value: ["数值", "Value"],
  col_unit: ["单位", "Unit"],
  col_status: ["状态", "Status"],
  col_coef_origin: ["来自", "Set for"],
  col_from_year: ["起始年份", "From year"],
  col_region: ["地区", "Region"],
  all_coefficients: ["全部系数条目", "Every coefficient entry"],
  not_set: ["未设定(无可靠来源)", "not set (no confirmed source)"],
  confirmed: ["已确认", "confirmed"],
  unconfirmed: ["未确认", "unconfirmed"],
  origin_own_coef: ["本地区", "this region"],
  origin_inherited_coef: ["继承自 {name}", "inherited from {name}"],
  origin_national_coef: ["全国默认", "national default"],
  set_value: ["设定", "Set"],
  change_value: ["修改", "Change"],
  coef_form_title: ["设定系数", "Set a coefficient"],
  f_region: ["适用地区", "Region"],
  f_valid_from: ["自哪一年的调查起适用", "Applies to surveys from year"],
  f_kind: ["系数", "Coefficient"],
  f_key: ["作物", "Crop"],
  f_value: ["数值", "Value"],
  f_coef_source: ["来源(文献、实测、文件,必填)", "Source (publication, measurement, document; required)"],
  need_valid_from: ["请填写起始年份(如 2023)", "Give the first year (e.g. 2023)"],
  need_coef_value: ["请填写系数值", "Give the value"],
  saved_coefficient: [
    "✓ 已保存:{region} · {name} = {value}(自 {from} 年起),已重算 {n} 份调查",
    "✓ Saved: {region} · {name} = {value} (from {from}); {n} surveys recomputed",
  ],
  deleted_coefficient: ["✓ 已删除:{region} · {name}(自 {from} 年起),已重算 {n} 份调查", "✓ Deleted: {region} · {name} (from {from}); {n} surveys recomputed"],
  confirm_delete_coefficient: ["删除 {region} 的{name}(自 {from} 年起)?适用的调查将改用上级地区或更早的数值并重算。", "Delete {region}'s {name} (from {from})? The surveys it applies to fall back to an earlier or enclosing value and are recomputed."],
  kind_straw_grain_ratio: ["草谷比", "Straw-to-grain ratio"],
  kind_straw_collectable_coefficient: ["收集系数", "Collectable coefficient"],
  kind_yak_dung_per_head_day: ["牦牛日排粪量", "Yak dung per head per day"],
  kind_film_min_thickness: ["地膜最小厚度", "Minimum film thickness"],
  status_sourced: ["有文献来源", "sourced"],
  status_default: ["默认值", "default"],
  status_unconfirmed: ["无可靠来源", "no confirmed source"],
  "status_set by bureau": ["本局设定", "set by the bureau"],
  shipped: ["随系统发布", "shipped"],
  new_group: ["新建分组", "New group"],
  new_group_title: ["新建县域分组", "New county group"],
  edit_group_title: ["编辑分组 {name}", "Edit group {name}"],
  f_code: ["分组代码(小写字母、数字、连字符)", "Code (lower-case letters, digits, hyphens)"],
  f_name_zh: ["中文名称", "Chinese name"],
  f_name_en: ["英文名称", "English name"],
  f_group_source: ["设立依据(可选)", "Why the group exists (optional)"],
  f_members: ["成员县(至少两个)", "Member counties (at least two)"],
  col_code: ["代码", "Code"],
  col_name: ["名称", "Name"],
  col_members: ["成员县", "Members"],
  col_follows: ["目标与规划跟随", "Targets and plan of"],
  follows_none: ["成员跨省,无共同上级地区", "members in different provinces: none"],
  built_in: ["系统内置,不可修改", "built in, cannot be changed"],
  saved_group: ["✓ 已保存分组:{name}({n} 个县)", "✓ Group saved: {name} ({n} counties)"],
  deleted_group: ["✓ 已删除分组:{name}", "✓ Group deleted: {name}"],
  confirm_delete_group: ["删除分组“{name}”?", "Delete the group \"{name}\"?"],
};

const COEFFICIENT_KINDS = ["straw_grain_ratio", "straw_collectable_coefficient", "yak_dung_per_head_day", "film_min_thickness"];
/** Crops by key, with their names as the survey form shows them. */
const CROPS = SECTIONS.straw.fields.find((f) => f.key === "crop").options.filter(([key]) => key !== "other");

let ctx = null; // what admin.js shares: regions, helpers
const plan = {
  targetRegion: "national",
  targetYear: null,
  applicable: null, // GET /targets/applicable answer
  targets: [], // every stored target
  plans: [], // the plan the region follows (0 or 1)
  editingTarget: null, // the own target the form edits, or null for a new one
  coefRegion: "national",
  coefYear: null,
  coefficients: [], // every entry
  coefApplicable: null,
  groups: [],
  editingGroup: null,
};

/** This year in China, as the server dates surveys. */
const thisYear = () => Number(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" }).format(new Date()));

const pct = (v) => formatNumber(v, { style: "percent", maximumFractionDigits: 1 });
const regionLabel = (code) => (code === "national" ? t("national") : ctx.regionName(code));
const cropName = (key) => {
  const crop = CROPS.find(([k]) => k === key);
  return crop ? crop[en() ? 2 : 1] : key;
};
/** A coefficient's name: the kind, and the crop for a straw ratio (草谷比 · 青稞). */
const coefficientName = (kind, key) => (kind === "straw_grain_ratio" ? `${t(`kind_${kind}`)} · ${cropName(key)}` : t(`kind_${kind}`));
const statusWord = (status) => (`status_${status}` in PLANNING_WORDS ? t(`status_${status}`) : status);
/** The units the coefficient table is written in, as people read them; others as they are. */
const UNITS = {
  "kg straw per kg grain": ["千克秸秆/千克籽粒", "kg straw per kg grain"],
  "kg straw per kg seed": ["千克秸秆/千克籽实", "kg straw per kg seed"],
  "kg straw per kg product": ["千克秸秆/千克产品", "kg straw per kg product"],
  "fraction 0-1": ["比例(0–1)", "fraction 0–1"],
  "kg dry matter per head per day": ["千克干物质/头/天", "kg dry matter per head per day"],
  mm: ["毫米", "mm"],
};
const unitWord = (unit) => (UNITS[unit] ? UNITS[unit][en() ? 1 : 0] : unit);
const targetText = (target) =>
  t("target_text", { cmp: t(target.comparison), value: pct(target.target), year: target.year });
const indicatorName = (key) => {
  const row = plan.applicable?.targets.find((r) => r.indicator === key);
  return row ? (en() ? row.indicator_name_en : row.indicator_name_zh) : key;
};

/** A line that says how a change went, in the current language (it keeps both). */
function say(selector, zhText, enText, ok = true) {
  const box = $(selector);
  box.className = ok ? "ok status-line" : "bad status-line";
  box.replaceChildren(ctx.bilingual(zhText, enText));
}

/** Both languages of a word with placeholders, for a message kept across the switch. */
const bothWords = (key, values) => [PLANNING_WORDS[key][0], PLANNING_WORDS[key][1]].map((w) => w.replace(/\{(\w+)\}/g, (_, n) => {
  const v = values[n];
  return typeof v === "object" && v !== null ? v[w === PLANNING_WORDS[key][0] ? "zh" : "en"] : v;
}));
/** A region's name in both languages. */
const regionBoth = (code) => {
  if (code === "national") return { zh: PLANNING_WORDS.national[0], en: PLANNING_WORDS.national[1] };
  const r = ctx.byCode.get(code);
  return r ? { zh: r.name_zh, en: r.name_en } : { zh: code, en: code };
};

// ---- region pickers --------------------------------------------------------------------

/** The region tree as an outline of options: 全国 first, then province, prefecture, county. */
function regionTree(select, value) {
  const depth = { province: 1, prefecture: 2, county: 3 };
  select.replaceChildren(el("option", { value: "national" }, t("national")));
  for (const r of ctx.regions) {
    select.append(el("option", { value: r.code }, `${"\u3000".repeat(depth[r.level] ?? 0)}${ctx.regionName(r.code)} ${r.code}`));
  }
  select.value = value;
}

// ---- targets and plans -----------------------------------------------------------------

async function loadTargets() {
  const region = plan.targetRegion;
  const year = plan.targetYear;
  const [applicable, targets, plans] = await Promise.all([
    request(`/api/v1/targets/applicable?region=${encodeURIComponent(region)}&year=${year}`),
    request("/api/v1/targets"),
    request(`/api/v1/plans?region=${encodeURIComponent(region)}`),
  ]);
  // The region or year may have changed while the answers were on their way.
  if (region !== plan.targetRegion || year !== plan.targetYear) return;
  plan.applicable = applicable;
  plan.targets = targets;
  plan.plans = plans.plans;
  renderTargets();
}

function renderPlan() {
  const box = $("#plan-box");
  const p = plan.plans[0];
  if (!p) {
    box.replaceChildren(el("p", { class: "no-plan" }, `ℹ ${t("no_plan")}`));
    box.dataset.plan = "";
    return;
  }
  box.dataset.plan = p.region_code;
  const name = en() ? p.name_en : p.name_zh;
  const owner = en() ? p.region_name_en : p.region_name_zh;
  const rows = p.phases.map((ph) => {
    const current = plan.targetYear >= ph.first_year && plan.targetYear <= ph.last_year;
    return el("tr", { "data-phase": ph.key, class: current ? "current" : null },
      el("td", { class: "wrap" }, en() ? ph.name_en : ph.name_zh,
        current ? el("span", { class: "current-mark" }, ` ${t("current_phase", { year: plan.targetYear })}`) : null),
      el("td", {}, ph.first_year === ph.last_year ? String(ph.first_year) : `${ph.first_year}–${ph.last_year}`));
  });
  box.replaceChildren(
    el("h2", { class: "plan-name" }, `${t("plan")}:${name}`, " ", el("span", { class: "sub" }, t("plan_years", { first: p.first_year, last: p.last_year }))),
    el("p", { class: "plan-owner" }, p.inherited ? t("plan_inherited", { name: owner }) : t("plan_own")),
    el("div", { class: "table-wrap" }, el("table", { id: "phases-table" },
      el("thead", {}, el("tr", {}, ...["col_phase", "col_phase_years"].map((k) => el("th", { scope: "col" }, t(k))))),
      el("tbody", {}, ...rows))),
    el("p", { class: "hint" }, `${t("plan_source")}:${p.source}`),
  );
}

function renderTargets() {
  if (!plan.applicable) return;
  renderPlan();
  const region = plan.targetRegion;
  $("#applies-heading").textContent = t("applies_title", { region: regionLabel(region), year: plan.applicable.year });
  const rows = plan.applicable.targets.map((row) => {
    const name = en() ? row.indicator_name_en : row.indicator_name_zh;
    const origin = en() ? row.origin_en : row.origin_zh;
    const target = row.target;
    const actions = [];
    if (row.origin === "own") {
      actions.push(el("button", { type: "button", class: "small", "data-action": "edit", onclick: () => openTargetForm(target) }, t("edit")));
    } else {
      actions.push(el("button", {
        type: "button", class: "small", "data-action": "set",
        onclick: () => openTargetForm(null, { indicator: row.indicator, year: target?.year }),
      }, t(target ? "set_own_target" : "set_target")));
    }
    return el("tr", { "data-indicator": row.indicator, "data-origin": row.origin ?? "none" },
      el("td", { class: "lead" }, name),
      el("td", { class: "target-value", "data-label": t("col_target") }, target ? targetText(target) : el("strong", { class: "bad" }, t("status_no_target"))),
      el("td", { class: "origin wrap", "data-label": t("col_origin") }, origin),
      el("td", { class: "wrap", "data-label": t("col_source") }, target ? target.source : "—"),
      el("td", { class: "row-actions" }, ...actions));
  });
  ctx.fillTable("#applicable-table", ["col_indicator", "col_target", "col_origin", "col_source", "col_actions"], rows);

  $("#own-targets-heading").textContent = t("own_targets_title", { region: regionLabel(region) });
  const own = plan.targets.filter((tg) => tg.region_code === region);
  const ownRows = own.map((tg) =>
    el("tr", { "data-indicator": tg.indicator, "data-year": tg.year },
      el("td", {}, indicatorName(tg.indicator)),
      el("td", { class: "num" }, String(tg.year)),
      el("td", {}, `${t(tg.comparison)} ${pct(tg.target)}`),
      el("td", { class: "wrap" }, tg.source),
      el("td", {}, tg.updated_by === "shipped defaults" ? t("shipped") : tg.updated_by),
      el("td", {}, formatTime(tg.updated_at)),
      el("td", { class: "row-actions" },
        el("button", { type: "button", class: "small", "data-action": "edit", onclick: () => openTargetForm(tg) }, t("edit")),
        el("button", { type: "button", class: "small danger", "data-action": "delete", onclick: ctx.guarded(() => deleteTarget(tg)) }, t("delete")))));
  ctx.fillTable("#own-targets-table", ["col_indicator", "col_target_year", "col_target", "col_source", "col_set_by", "col_when", "col_actions"], ownRows, "no_own_targets");
  if (!$("#target-form").hidden) relabelTargetForm();
}

/** Opens the target form: to edit an own target, or a new one with `preset` filled in. */
function openTargetForm(target, preset = {}) {
  const form = $("#target-form");
  form.reset();
  ctx.clearProblems(form, "target-err-");
  plan.editingTarget = target;
  fillTargetChoices(form);
  form.elements.indicator.value = target?.indicator ?? preset.indicator ?? plan.applicable.targets[0].indicator;
  form.elements.year.value = target?.year ?? preset.year ?? "";
  form.elements.target.value = target ? String(Math.round(target.target * 1e6) / 1e4) : "";
  form.elements.comparison.value = target?.comparison ?? "at_least";
  form.elements.source.value = target?.source ?? "";
  // The key of a stored target is its region, indicator and year: editing one changes its
  // value, comparison and source.
  form.elements.indicator.disabled = Boolean(target);
  form.elements.year.readOnly = Boolean(target);
  relabelTargetForm();
  form.hidden = false;
  form.scrollIntoView({ block: "nearest" });
  (target ? form.elements.target : form.elements.year.value ? form.elements.target : form.elements.year).focus();
}

/** The indicator and comparison choices in the current language, keeping what is chosen. */
function fillTargetChoices(form) {
  const [indicator, comparison] = [form.elements.indicator.value, form.elements.comparison.value];
  form.elements.indicator.replaceChildren(...plan.applicable.targets.map((r) =>
    el("option", { value: r.indicator }, en() ? r.indicator_name_en : r.indicator_name_zh)));
  form.elements.comparison.replaceChildren(...["at_least", "at_most"].map((c) =>
    el("option", { value: c }, `${c === "at_least" ? "≥" : "≤"} ${t(c)}`)));
  if (indicator) form.elements.indicator.value = indicator;
  if (comparison) form.elements.comparison.value = comparison;
}

function relabelTargetForm() {
  $("#target-form-title").textContent = t("target_form_title", { region: regionLabel(plan.targetRegion) });
  fillTargetChoices($("#target-form"));
}

function closeTargetForm() {
  $("#target-form").hidden = true;
  plan.editingTarget = null;
}

/** A client-side problem with a field the server cannot see (an empty number). */
function fieldProblem(form, prefix, field, key) {
  ctx.showProblems(form, prefix, { body: { path: field, message_zh: PLANNING_WORDS[key][0], message_en: PLANNING_WORDS[key][1] } });
}

async function saveTarget(event) {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  ctx.clearProblems(form, "target-err-");
  const indicator = f.indicator.value;
  const year = f.year.value.trim();
  if (!/^\d{4}$/.test(year)) return fieldProblem(form, "target-err-", "year", "need_year");
  const percent = f.target.value.trim();
  if (percent === "" || !Number.isFinite(Number(percent))) return fieldProblem(form, "target-err-", "target", "need_value");
  const body = { target: Number(percent) / 100, comparison: f.comparison.value, source: f.source.value };
  const region = plan.targetRegion;
  $("#target-save").disabled = true;
  let saved;
  try {
    saved = await request(`/api/v1/targets/${encodeURIComponent(region)}/${encodeURIComponent(indicator)}/${year}`, { method: "PUT", body });
  } catch (err) {
    if (err.status === 401) throw err;
    ctx.showProblems(form, "target-err-", err);
    return;
  } finally {
    $("#target-save").disabled = false;
  }
  closeTargetForm();
  const name = plan.applicable.targets.find((r) => r.indicator === indicator);
  const [zhText, enText] = bothWords("saved_target", {
    region: regionBoth(region),
    indicator: { zh: name?.indicator_name_zh ?? indicator, en: name?.indicator_name_en ?? indicator },
    text: {
      zh: `${saved.comparison === "at_most" ? "不高于" : "不低于"} ${formatNumber(saved.target * 100, { maximumFractionDigits: 1 })}%(${saved.year} 年)`,
      en: `${saved.comparison === "at_most" ? "at most" : "at least"} ${formatNumber(saved.target * 100, { maximumFractionDigits: 1 })} % by ${saved.year}`,
    },
  });
  say("#target-status", zhText, enText);
  await Promise.all([loadTargets(), ctx.loadAudit()]);
}

async function deleteTarget(tg) {
  const values = { region: regionLabel(tg.region_code), indicator: indicatorName(tg.indicator), year: tg.year };
  if (!confirm(t("confirm_delete_target", values))) return;
  try {
    await request(`/api/v1/targets/${encodeURIComponent(tg.region_code)}/${encodeURIComponent(tg.indicator)}/${tg.year}`, { method: "DELETE" });
  } catch (err) {
    if (err.status === 401) throw err;
    say("#target-status", err.body?.message_zh ?? err.message, err.body?.message_en ?? err.message, false);
    return;
  }
  const name = plan.applicable.targets.find((r) => r.indicator === tg.indicator);
  const [zhText, enText] = bothWords("deleted_target", {
    region: regionBoth(tg.region_code),
    indicator: { zh: name?.indicator_name_zh ?? tg.indicator, en: name?.indicator_name_en ?? tg.indicator },
    year: tg.year,
  });
  say("#target-status", zhText, enText);
  await Promise.all([loadTargets(), ctx.loadAudit()]);
}

// ---- coefficients ----------------------------------------------------------------------

async function loadCoefficients() {
  const region = plan.coefRegion;
  const year = plan.coefYear;
  const [entries, applicable] = await Promise.all([
    request("/api/v1/coefficients"),
    request(`/api/v1/coefficients/applicable?region=${encodeURIComponent(region)}&year=${year}`),
  ]);
  if (region !== plan.coefRegion || year !== plan.coefYear) return;
  plan.coefficients = entries;
  plan.coefApplicable = applicable;
  renderCoefficients();
}

function valueCell(c) {
  if (c.value === null) return el("strong", { class: "bad" }, t("not_set"));
  return formatNumber(c.value, { maximumFractionDigits: 6 });
}

function stateCell(c) {
  const confirmed = c.value !== null;
  return el("span", { class: `state ${confirmed ? "on" : "off"}` },
    `${confirmed ? "✓" : "✕"} ${t(confirmed ? "confirmed" : "unconfirmed")}`, el("div", { class: "sub" }, statusWord(c.status)));
}

function renderCoefficients() {
  if (!plan.coefApplicable) return;
  const region = plan.coefRegion;
  $("#coef-applies-heading").textContent = t("coef_applies_title", { region: regionLabel(region), year: plan.coefApplicable.year });
  const order = (c) => COEFFICIENT_KINDS.indexOf(c.kind) * 100 + Math.max(0, CROPS.findIndex(([k]) => k === c.key));
  const applied = [...plan.coefApplicable.coefficients].sort((a, b) => order(a) - order(b));
  const rows = applied.map((c) => {
    const origin = !c.inherited ? t("origin_own_coef")
      : c.region_code === "national" ? t("origin_national_coef")
        : t("origin_inherited_coef", { name: regionLabel(c.region_code) });
    return el("tr", { "data-kind": c.kind, "data-key": c.key, "data-confirmed": String(c.value !== null) },
      el("td", { class: "lead" }, coefficientName(c.kind, c.key)),
      el("td", { class: "num coef-value", "data-label": t("col_value") }, valueCell(c)),
      el("td", { "data-label": t("col_unit") }, unitWord(c.unit)),
      el("td", { "data-label": t("col_status") }, stateCell(c)),
      el("td", { class: "wrap", "data-label": t("col_source") }, c.source),
      el("td", { "data-label": t("col_coef_origin") }, `${origin} · ${t("col_from_year")} ${c.valid_from}`),
      el("td", { class: "row-actions" },
        el("button", {
          type: "button", class: "small", "data-action": "set",
          onclick: () => openCoefficientForm({ region_code: region, valid_from: plan.coefYear, kind: c.kind, key: c.key, value: null, source: "" }),
        }, t(c.value === null ? "set_value" : "change_value"))));
  });
  ctx.fillTable("#coef-applicable-table", ["col_coefficient", "col_value", "col_unit", "col_status", "col_source", "col_coef_origin", "col_actions"], rows);

  const all = plan.coefficients.map((c) =>
    el("tr", { "data-region": c.region_code, "data-kind": c.kind, "data-key": c.key, "data-valid-from": c.valid_from },
      el("td", {}, regionLabel(c.region_code)),
      el("td", { class: "num" }, String(c.valid_from)),
      el("td", {}, coefficientName(c.kind, c.key)),
      el("td", { class: "num" }, valueCell(c)),
      el("td", {}, stateCell(c)),
      el("td", { class: "wrap" }, c.source),
      el("td", {}, c.updated_by === "shipped defaults" ? t("shipped") : c.updated_by),
      el("td", { class: "row-actions" },
        el("button", { type: "button", class: "small", "data-action": "edit", onclick: () => openCoefficientForm(c) }, t("edit")),
        // The shipped national values are what every region falls back to: change them,
        // never leave the table without them.
        c.updated_by === "shipped defaults" ? null
          : el("button", { type: "button", class: "small danger", "data-action": "delete", onclick: ctx.guarded(() => deleteCoefficient(c)) }, t("delete")))));
  ctx.fillTable("#coef-table", ["col_region", "col_from_year", "col_coefficient", "col_value", "col_status", "col_source", "col_set_by", "col_actions"], all);
}

/** The crop select for the straw ratio; the other kinds take their one fixed key. */
function fillKeys(form, kind, key) {
  const select = form.elements.key;
  const fixed = { straw_collectable_coefficient: "all", yak_dung_per_head_day: "yak", film_min_thickness: "polyethylene" };
  if (kind === "straw_grain_ratio") {
    select.replaceChildren(...CROPS.map(([k, zh, enName]) => el("option", { value: k }, en() ? enName : zh)));
    select.value = key && CROPS.some(([k]) => k === key) ? key : CROPS[0][0];
  } else {
    select.replaceChildren(el("option", { value: fixed[kind] }, "—"));
  }
  $("#coef-key-field").hidden = kind !== "straw_grain_ratio";
}

function openCoefficientForm(c) {
  const form = $("#coef-form");
  form.reset();
  ctx.clearProblems(form, "coef-err-");
  regionTree(form.elements.region_code, c.region_code);
  form.elements.valid_from.value = c.valid_from ?? "";
  form.elements.kind.replaceChildren(...COEFFICIENT_KINDS.map((k) => el("option", { value: k }, t(`kind_${k}`))));
  form.elements.kind.value = c.kind;
  fillKeys(form, c.kind, c.key);
  form.elements.value.value = c.value ?? "";
  form.elements.source.value = c.source ?? "";
  form.hidden = false;
  form.scrollIntoView({ block: "nearest" });
  form.elements.value.focus();
}

async function saveCoefficient(event) {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  ctx.clearProblems(form, "coef-err-");
  const validFrom = f.valid_from.value.trim();
  if (!/^\d{4}$/.test(validFrom)) return fieldProblem(form, "coef-err-", "valid_from", "need_valid_from");
  const value = f.value.value.trim();
  if (value === "" || !Number.isFinite(Number(value))) return fieldProblem(form, "coef-err-", "value", "need_coef_value");
  const [region, kind, key] = [f.region_code.value, f.kind.value, f.key.value];
  $("#coef-save").disabled = true;
  let edit;
  try {
    edit = await request(`/api/v1/coefficients/${encodeURIComponent(region)}/${validFrom}/${encodeURIComponent(kind)}/${encodeURIComponent(key)}`, {
      method: "PUT", body: { value: Number(value), source: f.source.value },
    });
  } catch (err) {
    if (err.status === 401) throw err;
    ctx.showProblems(form, "coef-err-", err);
    return;
  } finally {
    $("#coef-save").disabled = false;
  }
  form.hidden = true;
  const c = edit.coefficient;
  const [zhText, enText] = bothWords("saved_coefficient", {
    region: regionBoth(c.region_code), name: coefficientBoth(c.kind, c.key),
    value: formatNumber(c.value, { maximumFractionDigits: 6 }), from: c.valid_from, n: edit.surveys_recomputed,
  });
  say("#coef-status", zhText, enText);
  await Promise.all([loadCoefficients(), ctx.loadAudit()]);
}

/** A coefficient's name in both languages. */
function coefficientBoth(kind, key) {
  const [kindZh, kindEn] = PLANNING_WORDS[`kind_${kind}`];
  if (kind !== "straw_grain_ratio") return { zh: kindZh, en: kindEn };
  const crop = CROPS.find(([k]) => k === key) ?? [key, key, key];
  return { zh: `${crop[1]}${kindZh}`, en: `${kindEn} of ${crop[2]}` };
}

async function deleteCoefficient(c) {
  const name = coefficientName(c.kind, c.key);
  if (!confirm(t("confirm_delete_coefficient", { region: regionLabel(c.region_code), name, from: c.valid_from }))) return;
  let edit;
  try {
    edit = await request(`/api/v1/coefficients/${encodeURIComponent(c.region_code)}/${c.valid_from}/${encodeURIComponent(c.kind)}/${encodeURIComponent(c.key)}`, { method: "DELETE" });
  } catch (err) {
    if (err.status === 401) throw err;
    say("#coef-status", err.body?.message_zh ?? err.message, err.body?.message_en ?? err.message, false);
    return;
  }
  const [zhText, enText] = bothWords("deleted_coefficient", {
    region: regionBoth(c.region_code), name: coefficientBoth(c.kind, c.key), from: c.valid_from, n: edit.surveys_recomputed,
  });
  say("#coef-status", zhText, enText);
  await Promise.all([loadCoefficients(), ctx.loadAudit()]);
}

// ---- county groups ---------------------------------------------------------------------

async function loadGroups() {
  plan.groups = await request("/api/v1/groups");
  renderGroups();
}

function renderGroups() {
  const rows = plan.groups.map((g) =>
    el("tr", { "data-code": g.code, "data-built-in": String(g.built_in) },
      el("td", { class: "mono", "data-label": t("col_code") }, g.code),
      el("td", { class: "lead" }, el("strong", {}, en() ? g.name_en : g.name_zh), el("div", { class: "sub" }, en() ? g.name_zh : g.name_en)),
      el("td", { class: "wrap members", "data-label": t("col_members") }, g.members.map((m) => ctx.regionName(m)).join("、")),
      el("td", { "data-label": t("col_follows") }, g.enclosing_region ? regionLabel(g.enclosing_region) : t("follows_none")),
      el("td", { class: "wrap", "data-label": t("col_source") }, g.source || "—"),
      el("td", { class: g.built_in ? "row-actions wrap" : "row-actions" }, ...(g.built_in
        ? [el("span", { class: "sub" }, t("built_in"))]
        : [
          el("button", { type: "button", class: "small", "data-action": "edit", onclick: () => openGroupForm(g) }, t("edit")),
          el("button", { type: "button", class: "small danger", "data-action": "delete", onclick: ctx.guarded(() => deleteGroup(g)) }, t("delete")),
        ]))));
  ctx.fillTable("#groups-table", ["col_code", "col_name", "col_members", "col_follows", "col_source", "col_actions"], rows);
}

/** Member checkboxes, grouped by prefecture. */
function renderMemberBoxes(ticked) {
  const box = $("#group-members");
  box.replaceChildren();
  for (const prefecture of ctx.regions.filter((r) => r.level === "prefecture")) {
    const group = el("div", { class: "county-group" }, el("strong", {}, ctx.regionName(prefecture.code)));
    for (const code of prefecture.children) {
      group.append(el("label", { class: "check" },
        el("input", { type: "checkbox", name: "members", value: code, checked: ticked.has(code) }),
        ` ${ctx.regionName(code)} ${code}`));
    }
    box.append(group);
  }
}

function openGroupForm(g) {
  const form = $("#group-form");
  form.reset();
  ctx.clearProblems(form, "group-err-");
  plan.editingGroup = g;
  form.elements.code.value = g ? g.code : "";
  form.elements.code.readOnly = Boolean(g);
  form.elements.name_zh.value = g ? g.name_zh : "";
  form.elements.name_en.value = g ? g.name_en : "";
  form.elements.source.value = g ? g.source : "";
  renderMemberBoxes(new Set(g ? g.members : []));
  relabelGroupForm();
  form.hidden = false;
  form.scrollIntoView({ block: "nearest" });
  (g ? form.elements.name_zh : form.elements.code).focus();
}

function relabelGroupForm() {
  const g = plan.editingGroup;
  $("#group-form-title").textContent = g ? t("edit_group_title", { name: en() ? g.name_en : g.name_zh }) : t("new_group_title");
}

async function saveGroup(event) {
  event.preventDefault();
  const form = event.target;
  const f = form.elements;
  ctx.clearProblems(form, "group-err-");
  const members = [...form.querySelectorAll("[name=members]:checked")].map((i) => i.value);
  const body = { name_zh: f.name_zh.value, name_en: f.name_en.value, members, source: f.source.value };
  const editing = plan.editingGroup;
  $("#group-save").disabled = true;
  let saved;
  try {
    saved = editing
      ? await request(`/api/v1/groups/${encodeURIComponent(editing.code)}`, { method: "PUT", body })
      : await request("/api/v1/groups", { method: "POST", body: { code: f.code.value, ...body } });
  } catch (err) {
    if (err.status === 401) throw err;
    ctx.showProblems(form, "group-err-", err);
    return;
  } finally {
    $("#group-save").disabled = false;
  }
  form.hidden = true;
  plan.editingGroup = null;
  const [zhText, enText] = bothWords("saved_group", { name: { zh: saved.name_zh, en: saved.name_en }, n: saved.members.length });
  say("#group-status", zhText, enText);
  await Promise.all([loadGroups(), ctx.loadAudit()]);
}

async function deleteGroup(g) {
  if (!confirm(t("confirm_delete_group", { name: en() ? g.name_en : g.name_zh }))) return;
  try {
    await request(`/api/v1/groups/${encodeURIComponent(g.code)}`, { method: "DELETE" });
  } catch (err) {
    if (err.status === 401) throw err;
    say("#group-status", err.body?.message_zh ?? err.message, err.body?.message_en ?? err.message, false);
    return;
  }
  const [zhText, enText] = bothWords("deleted_group", { name: { zh: g.name_zh, en: g.name_en } });
  say("#group-status", zhText, enText);
  await Promise.all([loadGroups(), ctx.loadAudit()]);
}

// ---- start and language ------------------------------------------------------------------

let wired = false;

/** Wires the sections' controls once. */
function wire() {
  if (wired) return;
  wired = true;
  const { guarded } = ctx;
  $("#t-region").addEventListener("change", guarded(async (e) => {
    plan.targetRegion = e.target.value;
    closeTargetForm();
    $("#target-status").replaceChildren();
    await loadTargets();
  }));
  $("#t-year").addEventListener("change", guarded(async (e) => {
    const year = Number(e.target.value);
    if (!Number.isInteger(year) || year < 2000 || year > 2100) return;
    plan.targetYear = year;
    await loadTargets();
  }));
  $("#target-form").addEventListener("submit", guarded(saveTarget));
  $("#target-cancel").addEventListener("click", () => closeTargetForm());
  $("#new-target").addEventListener("click", () => openTargetForm(null));

  $("#c-region").addEventListener("change", guarded(async (e) => {
    plan.coefRegion = e.target.value;
    await loadCoefficients();
  }));
  $("#c-year").addEventListener("change", guarded(async (e) => {
    const year = Number(e.target.value);
    if (!Number.isInteger(year) || year < 2000 || year > 2100) return;
    plan.coefYear = year;
    await loadCoefficients();
  }));
  $("#coef-form").addEventListener("submit", guarded(saveCoefficient));
  $("#coef-form [name=kind]").addEventListener("change", (e) => fillKeys($("#coef-form"), e.target.value, null));
  $("#coef-cancel").addEventListener("click", () => { $("#coef-form").hidden = true; });

  $("#new-group").addEventListener("click", () => openGroupForm(null));
  $("#group-form").addEventListener("submit", guarded(saveGroup));
  $("#group-cancel").addEventListener("click", () => { $("#group-form").hidden = true; plan.editingGroup = null; });
}

/**
 * Starts the sections once the admin is signed in. `shared`: the regions (`regions`,
 * `byCode`, `regionName`), the admin's own account (`me`), and the page's helpers
 * (`guarded`, `showProblems`, `clearProblems`, `fillTable`, `bilingual`, `loadAudit`).
 * The region pickers start at the admin's scope, or the whole country.
 */
export async function startPlanning(shared) {
  ctx = shared;
  wire();
  const start = ctx.me.scope_code ?? "national";
  // The dashboard's "set a target" link names the region: /admin/?region=542500#targets.
  const asked = new URLSearchParams(location.search).get("region");
  const linked = asked && ctx.byCode.has(asked) ? asked : null;
  plan.targetRegion = linked ?? (plan.targetRegion === "national" ? start : plan.targetRegion);
  plan.coefRegion = plan.coefRegion === "national" ? start : plan.coefRegion;
  plan.targetYear ??= thisYear();
  plan.coefYear ??= thisYear();
  regionTree($("#t-region"), plan.targetRegion);
  regionTree($("#c-region"), plan.coefRegion);
  $("#t-year").value = plan.targetYear;
  $("#c-year").value = plan.coefYear;
  await Promise.all([loadTargets(), loadCoefficients(), loadGroups()]);
}

/** Redraws the sections in the language just chosen. */
export function relabelPlanning() {
  if (!ctx) return;
  regionTree($("#t-region"), plan.targetRegion);
  regionTree($("#c-region"), plan.coefRegion);
  renderTargets();
  renderCoefficients();
  renderGroups();
  if (!$("#group-form").hidden) {
    relabelGroupForm();
    const ticked = new Set([...$("#group-members").querySelectorAll("input:checked")].map((i) => i.value));
    renderMemberBoxes(ticked);
  }
  if (!$("#coef-form").hidden) {
    const form = $("#coef-form");
    const [region, kind, key] = [form.elements.region_code.value, form.elements.kind.value, form.elements.key.value];
    regionTree(form.elements.region_code, region);
    form.elements.kind.replaceChildren(...COEFFICIENT_KINDS.map((k) => el("option", { value: k }, t(`kind_${k}`))));
    form.elements.kind.value = kind;
    fillKeys(form, kind, key);
  }
}
