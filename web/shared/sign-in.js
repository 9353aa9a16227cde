// The password sign-in form, one for every page: the fields, the call (`logIn`) and the
// server's reason when it refuses. The pages that keep a session in the tab use
// `sessionSignIn` (the landing page directly, dashboard, review and admin through
// `startPage`); the collect page, which keeps the phone's credential itself, says how
// its form looks and what to do once signed in.

import { $, el } from "./dom.js";
import { keepSession, logIn } from "./api.js";
import { bothLanguages, t } from "./words.js";

/**
 * Fills `form` with the username and password fields and signs in when it is sent.
 *
 * `labels`: the nodes naming the username, the password and the button; `heading` and
 * `note`: elements above the fields, if any; `username`: the name to start with; `error`:
 * the element the refusal is shown in, after the button (before it with `errorFirst`);
 * `after`: elements below. `describe(body)` words the server's refusal; `offline()`, if
 * given, what to say when the server cannot be reached. `signedIn(answer)` gets the
 * server's answer (`token`, `expires_at`, `user`).
 */
export function signInForm(form, { labels, heading = null, note = null, username, error, errorFirst = false, after = [], describe, offline, signedIn }) {
  const submit = el("button", { type: "submit" }, ...labels.submit);
  form.replaceChildren(
    ...[heading, note].filter(Boolean),
    el("label", {}, ...labels.username, el("input", { name: "username", autocomplete: "username", required: true, value: username })),
    el("label", {}, ...labels.password, el("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    ...(errorFirst ? [error, submit] : [submit, error]),
    ...after,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    error.textContent = "";
    let answer;
    try {
      answer = await logIn(data.get("username"), data.get("password"));
    } catch (err) {
      if (offline && err instanceof TypeError) error.textContent = offline();
      else if (err.body) error.textContent = describe(err.body);
      else throw err;
      return;
    }
    await signedIn(answer);
  });
  return form;
}

/** A word of the page's table in a span that follows the language switch (`data-i18n`). */
const word = (key) => el("span", { "data-i18n": key, text: t(key) });

/**
 * The sign-in of the pages with a session in the tab: fills `#signin` (a hidden form in
 * the page, shown when the API asks for a sign-in), keeps the session and calls
 * `signedIn()`. `heading`: the key of the page's title above the fields; `labels`: other
 * labels than the page's words (the landing page's, in both languages at once).
 */
export function sessionSignIn({ heading, labels, signedIn }) {
  return signInForm($("#signin"), {
    heading: heading ? el("h1", { "data-i18n": heading, text: t(heading) }) : null,
    labels: labels ?? { username: [word("username")], password: [word("password")], submit: [word("signin")] },
    error: el("span", { id: "signin-error", class: "bad", role: "alert" }),
    describe: bothLanguages,
    signedIn: (answer) => {
      keepSession(answer.token);
      return signedIn();
    },
  });
}
