// The survey form: building it from the field table (/shared/fields.js), reading a survey
// out of it, filling it from a survey, and showing issues (from the analytics module or
// the server) next to the field their `path` names.
//
// No rule lives here. Inputs are read as typed: a number field holding text that is not a
// number is sent as that text, and the analytics module says what is wrong with it, exactly
// as the server would. A number left blank is left out, which means what its field's
// `blank` says (the field table's BLANK), and the row says it: never a silent 0.

import { pick, t, message } from "./i18n.js";
import { el } from "../shared/dom.js";
import { SECTIONS, IDENTITY, LOCATION, BLANK, valueOf } from "../shared/fields.js";

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
  if (field.blank) {
    const hint = el("p", { class: "hint blank", id: `${id}-blank`, "data-blank": field.blank, text: pick(BLANK[field.blank]).replace("{n}", field.default) });
    row.append(hint);
    input.setAttribute("aria-describedby", `${id}-blank ${id}-issues`);
  }
  if (field.estimate) row.append(el("p", { class: "estimate", "data-estimate-for": path }));
  row.append(el("ul", { class: "issues", id: `${id}-issues`, "data-for": path, "aria-live": "polite" }));
  if (!field.blank) input.setAttribute("aria-describedby", `${id}-issues`);
  return row;
}

/**
 * A form value as the wire format wants it: numbers as numbers, a blank as absent, which
 * the wire format reads as its field's `blank` says (0 where it means none, a refusal for
 * a required amount, nothing where it is not recorded). The input keeps the blank as typed.
 */
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

// A dotted key (`straw_count.kg_each`) is a field of an object within the section. Such an
// object is sent only when one of its numbers was entered: its choice (the unit counted
// in, which always has a value) is no answer on its own.
function readFields(root, prefix, fields) {
  const out = {};
  const answered = new Set();
  for (const field of fields) {
    const input = root.querySelector(`[name="${prefix}${field.key}"]`);
    const value = input ? readValue(input) : undefined;
    if (value === undefined) continue;
    const [group, key] = field.key.includes(".") ? field.key.split(".") : [null, field.key];
    if (!group) {
      out[key] = value;
      continue;
    }
    (out[group] ??= {})[key] = value;
    if (field.kind !== "select") answered.add(group);
  }
  for (const field of fields) {
    const group = field.key.includes(".") ? field.key.split(".")[0] : null;
    if (group && !answered.has(group)) delete out[group];
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
    const value = valueOf(values, field.key);
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
  for (const crop of survey.straw ?? []) writeCrop(addCrop(), crop);
}

/** Fills one crop row (`straw[i]`) from a crop of a survey. */
export function writeCrop(row, crop) {
  writeFields(row, `straw[${row.dataset.index}].`, SECTIONS.straw.fields, crop);
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
    // The analytics module and the server name fields by the form's labels.
    list.append(el("li", { class: issue.severity, "data-code": issue.code, text: message(issue) }));
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

/** A short label for an issue's path, to list issues in the queue view. */
export function labelOf(path) {
  const [section, rest] = path.includes(".") ? [path.slice(0, path.indexOf(".")), path.slice(path.indexOf(".") + 1)] : ["", path];
  const base = section.replace(/\[\d+\]$/, "");
  const fields = SECTIONS[base]?.fields ?? (section === "location" ? LOCATION.map((f) => ({ ...f, key: f.key.slice(9) })) : IDENTITY);
  const field = fields.find((f) => f.key === (section ? rest : path));
  const sectionName = SECTIONS[base] ? t("sections")[base] : "";
  return [sectionName, field ? pick(field) : path].filter(Boolean).join(" · ");
}
