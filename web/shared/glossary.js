// The glossary: one word per thing every page names (a role, an action, a review state,
// a progress status, a survey section, an indicator, a page), in Chinese and English. The pages take these
// words from here (through /shared/words.js, or directly where a page shows both
// languages at once), so a viewer is 查看员 on the review page, the admin page and the
// landing page alike, and a token is 撤销 (revoked) wherever it is revoked.
//
// Section, indicator and status names are the analytics crate's (labels.rs,
// indicators.rs, progress.rs in analytics-wasm/src/), which the charts, the API and the
// server's messages use; tests/web/pages.test.mjs checks the two agree, and that no page, and no server
// message, uses one of the words in `NOT_THESE` instead.

/** The roles of an account (`role` in /api/v1/auth/me). */
export const ROLES = {
  technician: ["农技员", "Technician"],
  reviewer: ["审核员", "Reviewer"],
  viewer: ["查看员", "Viewer"],
  admin: ["管理员", "Administrator"],
};

/** What a person does to a credential, or to a survey under review. */
export const ACTIONS = {
  revoke: ["撤销", "Revoke"],
  revoked_at: ["已撤销 {at}", "revoked {at}"],
  approve: ["通过", "Approve"],
  mark_issues: ["标记有问题", "Mark issues"],
  reject: ["退回", "Reject"],
};

/**
 * The review states (analytics-wasm/src/review.rs `ReviewState`) as the review page names
 * them, and the four a technician's phone shows for them ("my surveys": a survey
 * corrected after review waits for a reviewer again, like a new one).
 */
export const REVIEW_STATES = {
  received: ["待审核", "received"],
  edited: ["已更正待审", "edited"],
  corrected: ["修改后待复审", "corrected, to review again"],
  resubmitted: ["退回后已修改", "corrected after rejection"],
  approved: ["已通过", "approved"],
  has_issues: ["有问题", "has issues"],
  rejected: ["已退回", "rejected"],
};
export const PHONE_STATES = {
  awaiting: [REVIEW_STATES.received[0], "Awaiting review"],
  approved: [REVIEW_STATES.approved[0], "Approved"],
  to_fix: ["需修改", "To be corrected"],
  returned: [REVIEW_STATES.rejected[0], "Returned"],
};

/**
 * Where a region stands against a target (analytics-wasm/src/progress.rs `Status`,
 * REFERENCE.md "Progress toward a target"), by its wire key.
 */
export const PROGRESS_STATUSES = {
  implausible: ["数据异常", "implausible data"],
  insufficient: ["数据不足", "insufficient data"],
  no_target: ["无目标", "no target"],
  met: ["已达标", "met"],
  likely: ["基本达标", "likely met"],
  on_track: ["按期可达", "on track"],
  behind: ["落后", "behind"],
};

/** The survey's sections (analytics-wasm/src/labels.rs). */
export const SECTIONS = {
  film: ["地膜", "Mulch film"],
  pesticide_packaging: ["农药包装废弃物", "Pesticide packaging"],
  straw: ["秸秆", "Crop straw"],
  yak_dung: ["牦牛粪", "Yak dung"],
};

/** The indicators by their API key (analytics-wasm/src/indicators.rs `name_zh`, `name_en`). */
export const INDICATORS = {
  film_recovery_rate: ["农膜回收率", "Film recovery rate"],
  pesticide_packaging_recovery_rate: ["农药包装废弃物回收率", "Pesticide packaging recovery rate"],
  pesticide_packaging_recovery_rate_kg: ["农药包装废弃物回收率(按重量)", "Pesticide packaging recovery rate (kg)"],
  straw_utilization_rate: ["秸秆综合利用率", "Straw utilization rate"],
  yak_dung_utilization_rate: ["牦牛粪便综合利用率", "Yak dung utilization rate"],
  film_thickness_compliance_rate: ["地膜厚度达标率", "Film thickness compliance"],
  degradable_film_share: ["可降解地膜占比", "Degradable film share"],
};

/** The pages, by folder, as links and headings name them. */
export const PAGES = {
  collect: ["入户调查表", "Survey form"],
  mine: ["我的调查", "My surveys"],
  review: ["调查审核", "Survey review"],
  dashboard: ["指标看板", "Indicator dashboard"],
  report: ["年度报告", "Annual report"],
  admin: ["系统管理", "Administration"],
};

/**
 * Words the pages used for a glossary term before there was one, each with the word to
 * use instead. A test fails when one of them is back in a page or a server message.
 */
export const NOT_THESE = {
  查看者: "查看员",
  吊销: "撤销",
  技术员: "农技员",
  牦牛粪综合利用率: "牦牛粪便综合利用率",
  牦牛粪便利用率: "牦牛粪便综合利用率",
  农药包装回收率: "农药包装废弃物回收率",
  地膜回收率: "农膜回收率",
};

/** `{ key: [zh, en] }` as the pair of tables `[{ key: zh }, { key: en }]`, one per language. */
export function byLanguage(table) {
  const zh = {};
  const english = {};
  for (const [key, [z, e]] of Object.entries(table)) {
    zh[key] = z;
    english[key] = e;
  }
  return [zh, english];
}

/**
 * The glossary as words for `useWords` (/shared/words.js): `role_<role>`,
 * `state_<state>`, `phone_<state>`, `status_<status>`, `section_<section>`,
 * `indicator_<key>`, `page_<folder>`, each action by its key, and the name tables
 * `roles`, `state_names`, `sections`, `indicators` for pages that look a name up by its key.
 */
export const GLOSSARY_WORDS = {
  ...prefixed("role_", ROLES),
  ...ACTIONS,
  ...prefixed("state_", REVIEW_STATES),
  ...prefixed("phone_", PHONE_STATES),
  ...prefixed("status_", PROGRESS_STATUSES),
  ...prefixed("section_", SECTIONS),
  ...prefixed("indicator_", INDICATORS),
  ...prefixed("page_", PAGES),
  roles: byLanguage(ROLES),
  state_names: byLanguage(REVIEW_STATES),
  sections: byLanguage(SECTIONS),
  indicators: byLanguage(INDICATORS),
};

function prefixed(prefix, table) {
  return Object.fromEntries(Object.entries(table).map(([key, pair]) => [prefix + key, pair]));
}
