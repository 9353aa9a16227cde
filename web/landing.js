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

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
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

  const latest = (await getJson("/api/v1/surveys?limit=10&order=newest")).items;
  const body = document.querySelector("#latest tbody");
  body.replaceChildren();
  if (latest.length === 0) {
    const row = document.createElement("tr");
    const cell = text("td", "还没有调查 · no surveys yet");
    cell.colSpan = 6;
    row.append(cell);
    body.append(row);
  }
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

showStatus();
showLatestAndRegions().catch((err) => {
  document.querySelector("#latest tbody").replaceChildren(text("tr", `无法加载:${err}`));
});
