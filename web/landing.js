// Landing page: service status, the latest surveys and the region outline, from the API.
"use strict";

const SECTION_NAMES = {
  film: "地膜", pesticide_packaging: "农药包装", straw: "秸秆", yak_dung: "牦牛粪",
};

function text(tag, value, className) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (className) el.className = className;
  return el;
}

// The session token lives for this tab only; signing in again is cheap.
const TOKEN_KEY = "agriwaste.session";

async function getJson(path) {
  const headers = { accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw Object.assign(new Error("sign in required"), { status: 401 });
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

async function showStatus() {
  const el = document.getElementById("status");
  try {
    await getJson("/readyz");
    el.replaceChildren(text("span", "正常运行 ", "ok"), text("span", "ready: API and database answer", "en"));
  } catch (err) {
    el.replaceChildren(text("span", "数据库不可用 ", "bad"), text("span", String(err), "en"));
  }
}

async function showLatestAndRegions() {
  const regions = await getJson("/api/v1/regions");
  const byCode = new Map(regions.map((r) => [r.code, r]));

  const outline = document.getElementById("regions");
  outline.replaceChildren();
  for (const province of regions.filter((r) => r.level === "province")) {
    const box = document.createElement("div");
    box.append(text("h3", `${province.name_zh} ${province.code}`));
    for (const prefectureCode of province.children) {
      const prefecture = byCode.get(prefectureCode);
      const list = document.createElement("ul");
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
  const form = document.getElementById("signin");
  let latest;
  try {
    latest = (await getJson("/api/v1/surveys?limit=10&order=newest")).items;
    const me = await getJson("/api/v1/auth/me");
    form.hidden = true;
    const who = document.getElementById("signed-in");
    who.hidden = false;
    who.textContent = `已登录:${me.name}(${me.role || me.kind})· signed in as ${me.name}`;
  } catch (err) {
    if (err.status !== 401) throw err;
    form.hidden = false;
    document.querySelector("#latest tbody").replaceChildren(
      rowOf("登录后可查看您权限范围内的调查 · sign in to see the surveys in your scope"),
    );
    return;
  }
  const body = document.querySelector("#latest tbody");
  body.replaceChildren();
  if (latest.length === 0) body.append(rowOf("还没有调查 · no surveys yet"));
  for (const item of latest) {
    const s = item.survey;
    const sections = Object.keys(SECTION_NAMES)
      .filter((key) => (Array.isArray(s[key]) ? s[key].length > 0 : s[key]))
      .map((key) => SECTION_NAMES[key])
      .join("、");
    const county = byCode.get(s.county_code);
    const row = document.createElement("tr");
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
  const row = document.createElement("tr");
  const cell = text("td", message);
  cell.colSpan = 6;
  row.append(cell);
  return row;
}

document.getElementById("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  const error = document.getElementById("signin-error");
  error.textContent = "";
  const response = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: data.get("username"), password: data.get("password") }),
  });
  const body = await response.json();
  if (!response.ok) {
    error.textContent = `${body.message_zh} · ${body.message_en}`;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, body.token);
  showLatestAndRegions().catch(showFailure);
});

function showFailure(err) {
  document.querySelector("#latest tbody").replaceChildren(rowOf(`无法加载 · failed to load: ${err.message}`));
}

showStatus();
showLatestAndRegions().catch(showFailure);
