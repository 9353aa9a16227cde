// What the signed-in pages (dashboard, review, admin) share around their content: the
// header's language switch and sign-out, the page in the current language, the failure
// line.

import { $ } from "./dom.js";
import { signOut } from "./api.js";
import { en, failureText, htmlLang, t, toggleLang } from "./words.js";

/**
 * Puts the page's static text in the current language: every `[data-i18n]` node, the
 * switch's own label (the other language's name) and the title, "title · brand".
 */
export function applyLanguage() {
  document.documentElement.lang = htmlLang();
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("#lang").textContent = en() ? "中文" : "English";
  document.title = `${t("title")} · ${t("brand")}`;
}

/**
 * Wires the header's buttons: `#lang` switches the language and calls `relabel()` (which
 * redraws what the page wrote itself), `#signout` ends the session after
 * `beforeSignOut()` and reloads the page, which then asks for a sign-in.
 */
export function headerButtons({ relabel, beforeSignOut = () => {} }) {
  $("#lang").addEventListener("click", () => {
    toggleLang();
    relabel();
  });
  $("#signout").addEventListener("click", async () => {
    beforeSignOut();
    await signOut();
    location.reload();
  });
}

/** Shows what went wrong in the page's failure line (`#failure`) and marks the page failed. */
export function showFailure(err) {
  const box = $("#failure");
  box.hidden = false;
  box.textContent = failureText(err);
  document.body.dataset.state = "failed";
}
