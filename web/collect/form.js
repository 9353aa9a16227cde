// The survey form: field definitions in the wire format's terms (analytics-wasm/src/survey.rs),
// building the form, reading a survey out of it, filling it from a survey, and showing
// issues (from the analytics module or the server) next to the field their `path` names.
//
// No rule lives here. Inputs are read as typed: a number field holding text that is not a
// number is sent as that text, and the analytics module says what is wrong with it, exactly
// as the server would.

import { pick, t, message } from "./i18n.js";

const kg = { zh: "公斤", en: "kg" };
const mu = { zh: "亩", en: "mu" };
const pieces = { zh: "个", en: "pcs" };
const head = { zh: "头", en: "head" };

/** Sections: wire key, labels, fields (`key`, labels, `kind`, `unit`, select `options`). */
export const SECTIONS = {
  film: {
    fields: [
      { key: "used_kg", zh: "地膜使用量", en: "Film used", kind: "number", unit: kg },
      { key: "recovered_kg", zh: "地膜回收量", en: "Film recovered", kind: "number", unit: kg },
      { key: "degradable_kg", zh: "其中可降解地膜", en: "of which degradable", kind: "number", unit: kg },
      { key: "area_mu", zh: "覆膜面积", en: "Area covered", kind: "number", unit: mu },
      { key: "thickness_mm", zh: "地膜厚度", en: "Film thickness", kind: "number", unit: { zh: "毫米", en: "mm" }, step: "0.001" },
      {
        key: "recovery_channel", zh: "主要去向", en: "Where most of it went", kind: "select",
        options: [
          ["recovery_point", "回收网点", "recovery point"],
          ["waste_supermarket", "垃圾超市", "waste supermarket"],
          ["reuse", "一膜多茬(重复使用)", "reused for several seasons"],
          ["burned", "焚烧", "burned"],
          ["buried", "掩埋", "buried"],
          ["left_in_field", "遗留田间", "left in the field"],
        ],
      },
    ],
  },
  pesticide_packaging: {
    fields: [
      { key: "used_count", zh: "使用包装数", en: "Packages used", kind: "integer", unit: pieces },
      { key: "returned_count", zh: "回收包装数", en: "Packages returned", kind: "integer", unit: pieces },
      { key: "used_kg", zh: "使用包装重量", en: "Weight used", kind: "number", unit: kg },
      { key: "returned_kg", zh: "回收包装重量", en: "Weight returned", kind: "number", unit: kg },
      {
        key: "return_channel", zh: "回收去向", en: "Returned to", kind: "select",
        options: [
          ["seller", "农药销售者", "seller"],
          ["recovery_point", "回收网点", "recovery point"],
          ["waste_supermarket", "垃圾超市", "waste supermarket"],
          ["improper_disposal", "随意丢弃 / 焚烧 / 掩埋", "improper disposal"],
        ],
      },
    ],
  },
  straw: {
    fields: [
      {
        key: "crop", zh: "作物", en: "Crop", kind: "select", required: true,
        options: [
          ["highland_barley", "青稞", "highland barley"],
          ["spring_wheat", "春小麦", "spring wheat"],
          ["rapeseed", "油菜", "rapeseed"],
          ["potato", "马铃薯", "potato"],
          ["corn", "玉米", "corn"],
          ["pea_broad_bean", "豌豆 / 蚕豆", "pea / broad bean"],
          ["other", "其他作物", "other crop"],
        ],
      },
      { key: "area_mu", zh: "播种面积", en: "Sown area", kind: "number", unit: mu },
      { key: "yield_kg", zh: "产量", en: "Yield", kind: "number", unit: kg },
      { key: "straw_kg", zh: "可收集秸秆量(实测)", en: "Collectable straw (measured)", kind: "number", unit: kg, estimate: true },
      { key: "fertilizer_kg", zh: "肥料化(含还田)", en: "Fertilizer (incl. returned to field)", kind: "number", unit: kg, use: true },
      { key: "feed_kg", zh: "饲料化", en: "Feed", kind: "number", unit: kg, use: true },
      { key: "substrate_kg", zh: "基料化", en: "Substrate", kind: "number", unit: kg, use: true },
      { key: "fuel_kg", zh: "燃料化", en: "Fuel", kind: "number", unit: kg, use: true },
      { key: "raw_material_kg", zh: "原料化", en: "Industrial raw material", kind: "number", unit: kg, use: true },
      { key: "burned_kg", zh: "露天焚烧", en: "Burned in the open", kind: "number", unit: kg },
      { key: "discarded_kg", zh: "废弃", en: "Discarded", kind: "number", unit: kg },
    ],
  },
  yak_dung: {
    fields: [
      { key: "yak_head", zh: "牦牛存栏", en: "Yaks kept", kind: "integer", unit: head },
      { key: "produced_kg", zh: "牛粪产生量(实测)", en: "Dung produced (measured)", kind: "number", unit: kg, estimate: true },
      { key: "fuel_kg", zh: "燃料利用", en: "Used as fuel", kind: "number", unit: kg },
      { key: "fertilizer_kg", zh: "肥料利用", en: "Used as fertilizer", kind: "number", unit: kg },
      { key: "other_kg", zh: "其他利用", en: "Other uses", kind: "number", unit: kg },
      { key: "discarded_kg", zh: "废弃", en: "Discarded", kind: "number", unit: kg },
    ],
  },
};

/** The household identity and location fields (top level of the survey). */
export const IDENTITY = [
  { key: "county_code", zh: "县(区划代码)", en: "County (division code)", kind: "select", required: true, options: [] },
  { key: "township", zh: "乡镇", en: "Township", kind: "text" },
  { key: "village", zh: "村", en: "Village", kind: "text" },
  { key: "household", zh: "农户名称或编号", en: "Household name or code", kind: "text", required: true },
  { key: "surveyed_on", zh: "调查日期", en: "Survey date", kind: "date", required: true },
  { key: "technician", zh: "调查员", en: "Technician", kind: "text", readonly: true },
  { key: "weight", zh: "抽样权重", en: "Sampling weight", kind: "number", unit: { zh: "户", en: "households" } },
];

export const LOCATION = [
  { key: "location.lat", zh: "纬度", en: "Latitude", kind: "number", unit: { zh: "°N", en: "°N" }, step: "any" },
  { key: "location.lon", zh: "经度", en: "Longitude", kind: "number", unit: { zh: "°E", en: "°E" }, step: "any" },
  { key: "location.accuracy_m", zh: "精度", en: "Accuracy", kind: "number", unit: { zh: "米", en: "m" } },
];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}
export { el };

/**
 * One labelled input for the wire path `path`, with its unit and a slot for issues
 * (`.issues[data-for=path]`).
 */
export function fieldRow(field, path) {
  const id = `f-${path.replace(/[^a-z0-9]+/gi, "-")}`;
  let input;
  if (field.kind === "select") {
    input = el("select", { id, name: path, "data-kind": field.kind });
    if (!field.required) input.append(el("option", { value: "", text: "—" }));
    for (const [value, zh, en] of field.options) input.append(el("option", { value, text: pick({ zh, en }) }));
  } else {
    const numeric = field.kind === "number" || field.kind === "integer";
    input = el("input", {
      id,
      name: path,
      "data-kind": field.kind,
      type: field.kind === "date" ? "date" : "text",
      inputmode: numeric ? (field.kind === "integer" ? "numeric" : "decimal") : undefined,
      autocomplete: "off",
      readonly: field.readonly,
      required: field.required,
    });
  }
  const label = el("label", { for: id, class: "label" }, pick(field));
  if (field.unit) label.append(el("span", { class: "unit", text: `(${pick(field.unit)})` }));
  const row = el("div", { class: "field", "data-path": path }, label, el("div", { class: "control" }, input));
  if (field.estimate) row.append(el("p", { class: "estimate", "data-estimate-for": path }));
  row.append(el("ul", { class: "issues", id: `${id}-issues`, "data-for": path, "aria-live": "polite" }));
  input.setAttribute("aria-describedby", `${id}-issues`);
  return row;
}

/** A form value as the wire format wants it: numbers as numbers, empty as absent. */
function readValue(input) {
  const raw = input.value.trim();
  if (raw === "") return undefined;
  const kind = input.dataset.kind;
  if (kind === "number" || kind === "integer") {
    const number = Number(raw.replace(/,/g, "."));
    // Text that is not a number goes as typed: the analytics module names the field.
    return Number.isFinite(number) ? number : raw;
  }
  return raw;
}

function readFields(root, prefix, fields) {
  const out = {};
  for (const field of fields) {
    const input = root.querySelector(`[name="${prefix}${field.key}"]`);
    const value = input ? readValue(input) : undefined;
    if (value !== undefined) out[field.key] = value;
  }
  return out;
}

/** The survey the form holds, in the wire format. */
export function readSurvey(form, { id, technician }) {
  const survey = { id, technician, ...readFields(form, "", IDENTITY.filter((f) => f.key !== "technician")) };
  survey.technician = technician;
  // Text left empty is sent empty: the rules say whether it may be.
  for (const field of IDENTITY) if (field.kind === "text" || field.kind === "date") survey[field.key] ??= "";
  survey.technician = technician;
  const location = readFields(form, "location.", LOCATION.map((f) => ({ ...f, key: f.key.slice("location.".length) })));
  if (Object.keys(location).length) survey.location = location;
  for (const key of ["film", "pesticide_packaging", "yak_dung"]) {
    if (form.querySelector(`[name="has.${key}"]`).checked) {
      survey[key] = readFields(form, `${key}.`, SECTIONS[key].fields);
    }
  }
  survey.straw = [...form.querySelectorAll(".crop")].map((row) =>
    readFields(row, `straw[${row.dataset.index}].`, SECTIONS.straw.fields),
  );
  return survey;
}

function writeFields(root, prefix, fields, values) {
  for (const field of fields) {
    const input = root.querySelector(`[name="${prefix}${field.key}"]`);
    if (!input) continue;
    const value = values?.[field.key];
    input.value = value === undefined || value === null ? "" : String(value);
  }
}

/** Fills the form from a survey (editing a queued one); straw rows via `addCrop`. */
export function fillSurvey(form, survey, addCrop) {
  writeFields(form, "", IDENTITY, survey);
  writeFields(form, "location.", LOCATION.map((f) => ({ ...f, key: f.key.slice("location.".length) })), survey.location);
  for (const key of ["film", "pesticide_packaging", "yak_dung"]) {
    const box = form.querySelector(`[name="has.${key}"]`);
    box.checked = Boolean(survey[key]);
    box.dispatchEvent(new Event("change"));
    writeFields(form, `${key}.`, SECTIONS[key].fields, survey[key] ?? {});
  }
  for (const row of form.querySelectorAll(".crop")) row.remove();
  for (const crop of survey.straw ?? []) {
    const row = addCrop();
    writeFields(row, `straw[${row.dataset.index}].`, SECTIONS.straw.fields, crop);
  }
}

/**
 * Shows issues next to their fields. An issue whose path names no field (the whole
 * survey, `location`, a straw row) goes to the nearest enclosing slot that exists, and
 * finally to the summary at the top (`[data-for=""]`). Returns the number of errors.
 */
export function showIssues(form, issues) {
  for (const list of form.querySelectorAll(".issues")) list.replaceChildren();
  for (const row of form.querySelectorAll(".field")) {
    row.classList.remove("has-error", "has-warning");
    row.querySelector("input, select")?.removeAttribute("aria-invalid");
  }
  let errors = 0;
  for (const issue of issues) {
    const list = slotFor(form, issue.path);
    // The person reads the form's labels; the message as the API words it stays in the tooltip.
    list.append(el("li", { class: issue.severity, "data-code": issue.code, title: message(issue), text: readable(message(issue)) }));
    const row = list.closest(".field");
    if (row) row.classList.add(issue.severity === "error" ? "has-error" : "has-warning");
    if (row && issue.severity === "error") row.querySelector("input, select")?.setAttribute("aria-invalid", "true");
    if (issue.severity === "error") errors += 1;
  }
  return errors;
}

function slotFor(form, path) {
  let at = path ?? "";
  for (;;) {
    const list = form.querySelector(`.issues[data-for="${CSS.escape(at)}"]`);
    if (list) return list;
    if (at === "") return form.querySelector('.issues[data-for=""]');
    // film.used_kg -> film; straw[0].feed_kg -> straw[0] -> straw; location.lat -> location
    const cut = Math.max(at.lastIndexOf("."), at.lastIndexOf("["));
    at = cut > 0 ? at.slice(0, cut) : "";
  }
}

/**
 * The label the form shows for the field at wire path `path` (`household`,
 * `film.used_kg`, `straw[0].feed_kg`, `location.lat`), in the current language; a straw
 * row (`straw[0]`) is named by its number. `null` for a path that names no field.
 */
export function fieldLabel(path) {
  const match = /^(?:(film|pesticide_packaging|yak_dung)\.(\w+)|straw\[(\d+)\](?:\.(\w+))?|location\.(\w+)|(\w+))$/.exec(path);
  if (!match) return null;
  const [, section, sectionKey, row, rowKey, locationKey, topKey] = match;
  let field;
  if (section) field = SECTIONS[section].fields.find((f) => f.key === sectionKey);
  else if (row !== undefined && rowKey === undefined) return `${t("sections").straw} ${t("crop_row", Number(row) + 1)}`;
  else if (row !== undefined) field = SECTIONS.straw.fields.find((f) => f.key === rowKey);
  else if (locationKey) field = LOCATION.find((f) => f.key === `location.${locationKey}`);
  else field = IDENTITY.find((f) => f.key === topKey);
  return field ? pick(field) : null;
}

// A wire path inside a message: a section's field, a straw row or its field, a location
// field, or a top-level key (looked up; ordinary words are left as they are). Bare section
// names (`straw`) are not replaced: "straw uses add up to…" is prose; nor are values in
// backquotes (serde's "unknown variant `…`").
const PATH_IN_TEXT = /(?<![\w.\]`])(?:(?:film|pesticide_packaging|yak_dung|location)\.\w+|straw\[\d+\](?:\.\w+)?|[a-z][a-z_]*)(?![\w[`]|\.\w)/g;

/**
 * An issue's message (as the analytics module or the server words it, naming fields by
 * wire path: "film.recovered_kg(12)不能大于 film.used_kg(10)") with the paths replaced by
 * the labels the form shows ("地膜回收量(12)不能大于 地膜使用量(10)"). Where the
 * message already gave the label with the path in brackets ("农户名称或编号(household)")
 * the label is not repeated.
 */
export function readable(text) {
  const used = new Set();
  let out = text.replace(PATH_IN_TEXT, (path) => {
    const label = fieldLabel(path);
    if (label === null) return path;
    used.add(label);
    return label;
  });
  for (const label of used) out = out.replaceAll(`${label}(${label})`, label).replaceAll(`${label} (${label})`, label);
  return out;
}

/** A short label for an issue's path, to list issues in the queue view. */
export function labelOf(path) {
  const [section, rest] = path.includes(".") ? [path.slice(0, path.indexOf(".")), path.slice(path.indexOf(".") + 1)] : ["", path];
  const base = section.replace(/\[\d+\]$/, "");
  const fields = SECTIONS[base]?.fields ?? (section === "location" ? LOCATION.map((f) => ({ ...f, key: f.key.slice(9) })) : IDENTITY);
  const field = fields.find((f) => f.key === (section ? rest : path));
  const sectionName = SECTIONS[base] ? t("sections")[base] : "";
  return [sectionName, field ? pick(field) : path].filter(Boolean).join(" · ");
}
