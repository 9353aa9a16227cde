// Landing page: the pages the signed-in account's role uses (before sign-in, what each
// page is for and the sign-in), the service status, the latest surveys and the regions,
// from the API. Its words stand in both languages at once, in the page; the names of
// roles, pages and sections are the glossary's (/shared/glossary.js).
import { api, signOut } from "./shared/api.js";
import { $, el } from "./shared/dom.js";
import { PAGES, ROLES, SECTIONS } from "./shared/glossary.js";
import { sessionSignIn } from "./shared/sign-in.js";

/** Each page: its address, what it is for and who it is made for. */
const PAGE_CARDS = {
  collect: {
    href: "/collect/",
    zh: "用手机逐户填报调查,离线可用,联网后自动同步。",
    en: "Fill in one survey per household on a phone; works offline, syncs when online.",
    audience: ["technician"],
  },
  mine: {
    href: "/collect/#mine",
    zh: "已提交的调查及其审核结果:已通过、需修改或已退回,审核意见显示在字段旁。",
    en: "The surveys you submitted and their review: approved, to be corrected or returned, with the reviewer's comments at their fields.",
    audience: ["technician"],
  },
  review: {
    href: "/review/",
    zh: "逐份或批量审核调查:通过、标记有问题或退回,并对单个字段写意见。",
    en: "Review surveys one by one or in bulk: approve, mark issues or reject, with comments on single fields.",
    audience: ["reviewer"],
  },
  dashboard: {
    href: "/dashboard/",
    zh: "按县、按年度的各项指标及其区间,对照各地区自己的目标和规划阶段。",
    en: "Each indicator by county and year, with its interval, against each region's own targets and plans.",
    audience: ["reviewer", "viewer"],
  },
  report: {
    href: "/report/",
    zh: "一个地区一年的年度报告,可打印(A4):各项指标对照目标的状态、与上年相比的变化、数据质量说明。",
    en: "A region's annual report, printable on A4: every indicator against its target, the change from the year before, notes on data quality.",
    audience: ["reviewer", "viewer"],
  },
  admin: {
    href: "/admin/",
    zh: "账户、农技员手机的设备令牌与二维码、API 密钥,各地区的目标、规划、系数与县分组,审计日志。",
    en: "Accounts, device tokens and QR codes for technicians' phones, API keys; each region's targets, plans, coefficients and county groups; the audit log.",
    audience: ["admin"],
  },
};

/**
 * The pages made for each role, in the order it uses them. This only says where to go:
 * each page asks the API what the account may do there.
 */
const PAGES_OF = {
  technician: ["collect", "mine"],
  reviewer: ["review", "dashboard", "report"],
  viewer: ["dashboard", "report"],
  admin: ["collect", "review", "dashboard", "report", "admin"],
};

const text = (tag, value, className) => el(tag, { class: className, text: value });
const both = (tag, [zh, en], props = {}) => el(tag, props, `${zh} `, el("span", { class: "en", text: en }));

/** A page's card: a link for someone who uses it, else its description and its users. */
function pageCard(key, asLink) {
  const page = PAGE_CARDS[key];
  const heading = both("h2", PAGES[key]);
  const about = el("p", {}, `${page.zh} `, el("span", { class: "en", text: page.en }));
  if (asLink) return el("a", { class: "card", href: page.href, "data-page": key }, heading, about);
  const audience = page.audience.map((role) => ROLES[role]);
  const users = el("p", { class: "audience" },
    `供${audience.map(([zh]) => zh).join("、")}使用 `,
    el("span", { class: "en", text: `for ${audience.map(([, en]) => en.toLowerCase()).join(" and ")}s` }));
  return el("div", { class: "card", "data-page": key }, heading, about, users);
}

/** Before sign-in: every page described, none linked, and the sign-in. */
function showAnonymous() {
  $("#signin").hidden = false;
  $("#who").replaceChildren("登录后显示您可以使用的页面。", el("span", { class: "en", text: "Sign in to see the pages your role uses." }));
  $("#pages").replaceChildren(...Object.keys(PAGE_CARDS).map((key) => pageCard(key, false)));
  $("#latest tbody").replaceChildren(rowOf("登录后可查看您权限范围内的调查 · sign in to see the surveys in your scope"));
  document.body.dataset.state = "anonymous";
}

/** Signed in: who, the role's pages as links, sign-out. */
function showSignedIn(me) {
  $("#signin").hidden = true;
  const role = me.role ? ROLES[me.role] : null;
  const signout = el("button", { type: "button", id: "signout" }, "退出 ", el("span", { class: "en", text: "Sign out" }));
  signout.addEventListener("click", async () => {
    await signOut();
    location.reload();
  });
  $("#who").replaceChildren(
    `已登录:${me.name}${role ? `(${role[0]})` : ""} `,
    el("span", { class: "en", text: `signed in as ${me.name}${role ? ` (${role[1].toLowerCase()})` : ""}` }),
    " ", signout,
  );
  const pages = PAGES_OF[me.role] ?? [];
  $("#pages").replaceChildren(
    ...pages.map((key) => pageCard(key, true)),
    ...(pages.length ? [] : [el("p", {}, "此账户没有可用的页面,请使用 API。", el("span", { class: "en", text: " This account has no pages; use the API." }))]),
  );
}

async function showStatus() {
  const status = $("#status");
  try {
    await api("/readyz");
    status.replaceChildren(text("span", "正常运行 ", "ok"), text("span", "ready: API and database answer", "en"));
  } catch (err) {
    status.replaceChildren(text("span", "数据库不可用 ", "bad"), text("span", String(err), "en"));
  }
}

async function start() {
  const regions = await api("/api/v1/regions");
  const byCode = new Map(regions.map((r) => [r.code, r]));
  showRegions(regions, byCode);
  let me;
  try {
    me = await api("/api/v1/auth/me");
  } catch (err) {
    if (err.status !== 401) throw err;
    showAnonymous();
    return;
  }
  showSignedIn(me);
  await showLatest(byCode);
  document.body.dataset.state = "signed-in";
}

function showRegions(regions, byCode) {
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
}

async function showLatest(byCode) {
  const latest = (await api("/api/v1/surveys?limit=10&order=newest")).items;
  const body = $("#latest tbody");
  body.replaceChildren();
  if (latest.length === 0) body.append(rowOf("还没有调查 · no surveys yet"));
  for (const item of latest) {
    const s = item.survey;
    const sections = Object.keys(SECTIONS)
      .filter((key) => (Array.isArray(s[key]) ? s[key].length > 0 : s[key]))
      .map((key) => SECTIONS[key][0])
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
  signedIn: () => start().catch(showFailure),
});

function showFailure(err) {
  $("#latest tbody").replaceChildren(rowOf(`无法加载 · failed to load: ${err.message}`));
  document.body.dataset.state = "failed";
}

showStatus();
start().catch(showFailure);
