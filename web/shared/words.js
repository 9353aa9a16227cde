// The pages' words in Chinese (the default) and English, and numbers and dates in the
// chosen language. A page names its words once with `useWords(table)`, a table of
// key → [zh, en]; the words every page shares are here, and the glossary's
// (/shared/glossary.js: roles, actions, review states, sections, indicators, pages), so
// they read the same everywhere. The choice is kept in localStorage, so it holds across
// visits.

import { GLOSSARY_WORDS } from "./glossary.js";

/** Where the signed-in pages keep the language; the collect page keeps its own. */
const LANG_KEY = "agriwaste.lang";

/** The words more than one page shows: the glossary's and these. */
const COMMON = {
  ...GLOSSARY_WORDS,
  brand: ["农业废弃物调查", "agriwaste"],
  username: ["用户名", "Username"],
  password: ["密码", "Password"],
  signin: ["登录", "Sign in"],
  signout: ["退出", "Sign out"],
  failed: ["加载失败:", "Failed to load: "],
  all_regions: ["权限范围内全部", "Everything in my scope"],
  county: ["县", "County"],
};

const LOCALES = { zh: "zh-CN", en: "en-GB" };

let words = COMMON;
let langKey = LANG_KEY;
let locales = LOCALES;
let lang = "zh";

/**
 * Sets the page's words (they override the common ones of the same key) and reads the
 * language chosen before. `key`: where the choice is kept; `englishLocale`: the English
 * number and date format.
 */
export function useWords(table, { key = LANG_KEY, englishLocale = LOCALES.en } = {}) {
  words = { ...COMMON, ...table };
  langKey = key;
  locales = { ...LOCALES, en: englishLocale };
  lang = localStorage.getItem(key) === "en" ? "en" : "zh";
}

/** "zh" or "en". */
export const currentLang = () => lang;
export const en = () => lang === "en";
/** The `lang` attribute of the page in the current language. */
export const htmlLang = () => (en() ? "en" : "zh-CN");

/** Switches to the other language and keeps the choice. */
export function toggleLang() {
  lang = en() ? "zh" : "en";
  localStorage.setItem(langKey, lang);
}

/** The locale numbers and dates are written in. */
export const locale = () => locales[lang];

/** Fills a template's `{name}` placeholders from `values`. */
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);

/**
 * The word `key` in the current language, its placeholders filled from `values` when
 * given (`t("page", { n: 2 })`). A word that is not text (a table of names) comes as it is.
 */
export function t(key, values) {
  const word = words[key][en() ? 1 : 0];
  return values !== undefined && typeof word === "string" ? fill(word, values) : word;
}

/** The current language's half of a `{ zh, en }` pair (a field's label, a unit). */
export const pick = (pair) => (en() ? pair.en : pair.zh);

/** An API or analytics message (`message_zh`, `message_en`) in the current language. */
export const message = (issue) => (en() ? issue.message_en : issue.message_zh);

/** An API message in both languages, for the pages that show both at once. */
export const bothLanguages = (body) => `${body.message_zh} · ${body.message_en}`;

// A formatter is made once per locale and options: making one costs more than using it.
const numberFormats = new Map();

/** A number in the current locale: `formatNumber(v, { maximumFractionDigits: 1 })`. */
export function formatNumber(value, options = {}) {
  const key = `${locale()}|${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) numberFormats.set(key, (format = new Intl.NumberFormat(locale(), options)));
  return format.format(value);
}

/** A moment (an ISO timestamp) as date and time in the current locale. */
export const formatTime = (iso) => new Date(iso).toLocaleString(locale());

/** The failure line of a page: "Failed to load: " and what went wrong. */
export const failureText = (err) => t("failed") + (err && err.message ? err.message : String(err));
