// What the signed-in pages (dashboard, review, admin) share around their content: the
// header with its language switch and sign-out, the sign-in, the page in the current
// language, the failure line.

import { $, el } from "./dom.js";
import { signOut } from "./api.js";
import { sessionSignIn } from "./sign-in.js";
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
 * Starts a signed-in page. Draws its header (the brand, the page's `title` word, `links`
 * to other pages as [href, word key], the language switch and sign-out), fills the
 * sign-in form (`signInHeading`: the key of its title) and runs `start()`, which shows
 * the sign-in when the API asks for one, and runs again once signed in.
 *
 * `relabel()` redraws the page in the language just chosen (calling `applyLanguage`
 * first); `beforeSignOut()` clears what must not outlive the session; `showFailure(err)`
 * shows what went wrong (by default in the `#failure` line).
 */
export function startPage({ links = [], signInHeading, start, relabel, beforeSignOut = () => {}, showFailure = showFailureLine }) {
  $("header.top").replaceChildren(
    el("div", { class: "brand" },
      el("a", { href: "/" }, el("strong", { "data-i18n": "brand", text: t("brand") })), " ",
      el("span", { "data-i18n": "title", text: t("title") })),
    el("nav", {},
      ...links.map(([href, key]) => el("a", { href, "data-i18n": key, text: t(key) })),
      el("button", { type: "button", id: "lang", "aria-label": "Language / 语言", text: "English" }),
      el("button", { type: "button", id: "signout", hidden: true, "data-i18n": "signout", text: t("signout") })),
  );
  sessionSignIn({
    heading: signInHeading,
    signedIn: () => {
      document.body.dataset.state = "loading";
      start().catch(showFailure);
    },
  });
  $("#lang").addEventListener("click", () => {
    toggleLang();
    relabel();
  });
  $("#signout").addEventListener("click", async () => {
    beforeSignOut();
    await signOut();
    location.reload();
  });
  start().catch(showFailure);
}

/** Shows what went wrong in the page's failure line (`#failure`) and marks the page failed. */
export function showFailureLine(err) {
  const box = $("#failure");
  box.hidden = false;
  box.textContent = failureText(err);
  document.body.dataset.state = "failed";
}
