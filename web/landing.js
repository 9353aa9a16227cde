// Landing page: service status, the latest surveys and the region outline, from the API.
// Its words stand in both languages at once, in the page.
import { api } from "/shared/api.js";
import { $, el } from "/shared/dom.js";
import { sessionSignIn } from "/shared/sign-in.js";

const SECTION_NAMES = {
  film: "地膜", pesticide_packaging: "农药包装", straw: "秸秆", yak_dung: "牦牛粪",
};

const text = (tag, value, className) => el(tag, { class: className, text: value });

async function showStatus() {
  const status = $("#status");
  try {
    await api("/readyz");
    status.replaceChildren(text("span", "正常运行 ", "ok"), text("span", "ready: API and database answer", "en"));
  } catch (err) {
    status.replaceChildren(text("span", "数据库不可用 ", "bad"), text("span", String(err), "en"));
  }
}

async function showLatestAndRegions() {
  const regions = await api("/api/v1/regions");
  const byCode = new Map(regions.map((r) => [r.code, r]));

  const outline = $("#regions");
  outline.replaceChildren();
  for (const province of regions.filter((r) => r.level === "province")) {
    const box = el("div");
    box.append(text("h3", `${province.name_zh} ${province.code}`));
    for (const prefectureCode of province.children) {
      const prefecture = byCode.get(prefectureCode);
      const list = el("ul");
      for (const countyCode of prefecture.children) {
        const county = byCode.get(countyCode);
        list.append(text("li", `${county.name_zh} ${county.code} · ${county.name_en}`));
      }
      box.append(text("strong", `${prefecture.name_zh} ${prefecture.code}`), list);
    }
    outline.append(box);
  }

  await showLatest(byCode);
}

async function showLatest(byCode) {
  const form = $("#signin");
  let latest;
  try {
    latest = (await api("/api/v1/surveys?limit=10&order=newest")).items;
    const me = await api("/api/v1/auth/me");
    form.hidden = true;
    const who = $("#signed-in");
    who.hidden = false;
    who.textContent = `已登录:${me.name}(${me.role || me.kind})· signed in as ${me.name}`;
  } catch (err) {
    if (err.status !== 401) throw err;
    form.hidden = false;
    $("#latest tbody").replaceChildren(
      rowOf("登录后可查看您权限范围内的调查 · sign in to see the surveys in your scope"),
    );
    return;
  }
  const body = $("#latest tbody");
  body.replaceChildren();
  if (latest.length === 0) body.append(rowOf("还没有调查 · no surveys yet"));
  for (const item of latest) {
    const s = item.survey;
    const sections = Object.keys(SECTION_NAMES)
      .filter((key) => (Array.isArray(s[key]) ? s[key].length > 0 : s[key]))
      .map((key) => SECTION_NAMES[key])
      .join("、");
    const county = byCode.get(s.county_code);
    const row = el("tr");
    row.append(
      text("td", s.surveyed_on),
      text("td", county ? county.name_zh : s.county_code),
      text("td", [s.township, s.village].filter(Boolean).join(" / ")),
      text("td", s.household),
      text("td", sections),
      text("td", item.warnings.length ? `${item.warnings.length} 条` : "—", item.warnings.length ? "warn" : ""),
    );
    body.append(row);
  }
}

function rowOf(message) {
  const row = el("tr");
  const cell = text("td", message);
  cell.colSpan = 6;
  row.append(cell);
  return row;
}

const bilingual = (zh, en) => [`${zh} `, el("span", { class: "en", text: en })];
sessionSignIn({
  labels: { username: bilingual("用户名", "Username"), password: bilingual("密码", "Password"), submit: bilingual("登录", "Sign in") },
  signedIn: () => showLatestAndRegions().catch(showFailure),
});

function showFailure(err) {
  $("#latest tbody").replaceChildren(rowOf(`无法加载 · failed to load: ${err.message}`));
}

showStatus();
showLatestAndRegions().catch(showFailure);
