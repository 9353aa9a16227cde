// The words of progress toward a target, shared by the dashboard's board and the annual
// report (/report/), so that both name every indicator and status the same way: the
// indicators in board order, each status with its icon, word and rule in a sentence. A
// page adds `PROGRESS_WORDS` to its own table (`useWords({ ...PROGRESS_WORDS, ... })`).
// The names of indicators and statuses are the glossary's (/shared/glossary.js; every
// page has `status_<status>` through /shared/words.js).

import { INDICATORS as INDICATOR_NAMES, PAGES } from "./glossary.js";

/** Every indicator: key, Chinese name, English name (the glossary's names). */
export const INDICATORS = Object.entries(INDICATOR_NAMES).map(([key, [zh, english]]) => [key, zh, english]);

/** The indicators the board judges against targets (the plans set targets for these). */
export const BOARD_INDICATORS = ["film_recovery_rate", "pesticide_packaging_recovery_rate", "straw_utilization_rate", "yak_dung_utilization_rate"];

/** Every status, best first. */
export const STATUSES = ["met", "likely", "on_track", "behind", "insufficient", "implausible", "no_target"];

/** Icons as the analytics crate's Status::icon: the status is told by word and icon, not colour alone. */
export const ICONS = { met: "✓", likely: "≈", on_track: "↗", behind: "✕", insufficient: "?", implausible: "!", no_target: "–" };

/** Status rules ({n}: the households a year needs), comparisons, the report link. */
export const PROGRESS_WORDS = {
  explain_implausible: ["比率超过 100%,请先核查数据", "rate above 100 %: check the data first"],
  explain_insufficient: ["少于 {n} 户,不作判断", "fewer than {n} households: not judged"],
  explain_met: ["95% 区间整体达到目标", "the whole 95 % interval reaches the target"],
  explain_likely: ["估计值达到目标,区间下限未达到", "the estimate reaches the target, the interval's low end does not"],
  explain_on_track: ["按现有趋势可在目标年前达到", "the trend reaches the target by its year"],
  explain_behind: ["按现有趋势到目标年达不到", "the trend does not reach the target by its year"],
  explain_no_target: ["该地区此指标没有目标", "no target applies to this region for this indicator"],
  at_least: ["≥", "≥ "],
  at_most: ["≤", "≤ "],
  annual_report: PAGES.report,
};
