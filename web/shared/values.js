// A survey's values as people read them, the same on every page: a choice by its label,
// a number in the locale's format with its unit, a date in the locale's words.

import { NOT_RECORDED } from "./fields.js";
import { en, formatNumber as formatLocal, locale, pick } from "./words.js";

const formatNumber = (v) => formatLocal(v, { maximumFractionDigits: 6 });

/** A survey date (`2025-09-14`) in the current locale. */
export const formatDate = (day) => new Date(`${day}T00:00:00`).toLocaleDateString(locale(), { year: "numeric", month: "short", day: "numeric" });

/**
 * The value of `field` as the form shows it; a value left out as not recorded (which is
 * not 0: REFERENCE.md), "—" for empty text.
 */
export function valueText(field, value) {
  if (value == null) return pick(NOT_RECORDED);
  if (value === "") return "—";
  if (field.kind === "select" && field.options) {
    const option = field.options.find((o) => o[0] === value);
    if (option) return option[en() ? 2 : 1];
  }
  if (typeof value === "number") return `${formatNumber(value)}${field.unit ? ` ${pick(field.unit)}` : ""}`;
  if (field.kind === "date") return formatDate(value);
  return String(value);
}
