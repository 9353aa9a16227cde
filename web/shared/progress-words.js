// The words of progress toward a target, shared by the dashboard's board and the annual
// report (/report/), so that both name every indicator and status the same way: the
// indicators in board order, each status with its icon, word and rule in a sentence. A
// page adds `PROGRESS_WORDS` to its own table (`useWords({ ...PROGRESS_WORDS, ... })`).

/** Every indicator: key, Chinese name, English name. */
export const INDICATORS = [
  ["film_recovery_rate", "农膜回收率", "Film recovery rate"],
  ["pesticide_packaging_recovery_rate", "农药包装废弃物回收率", "Pesticide packaging recovery rate"],
  ["pesticide_packaging_recovery_rate_kg", "农药包装回收率(重量)", "Pesticide packaging recovery (kg)"],
  ["straw_utilization_rate", "秸秆综合利用率", "Straw utilization rate"],
  ["yak_dung_utilization_rate", "牦牛粪综合利用率", "Yak dung utilization rate"],
  ["film_thickness_compliance_rate", "地膜厚度达标率", "Film thickness compliance"],
  ["degradable_film_share", "可降解地膜占比", "Degradable film share"],
];

/** The indicators the board judges against targets (the plans set targets for these). */
export const BOARD_INDICATORS = ["film_recovery_rate", "pesticide_packaging_recovery_rate", "straw_utilization_rate", "yak_dung_utilization_rate"];

/** Every status, best first. */
export const STATUSES = ["met", "likely", "on_track", "behind", "insufficient", "implausible", "no_target"];

/** Icons as the analytics crate's Status::icon: the status is told by word and icon, not colour alone. */
export const ICONS = { met: "✓", likely: "≈", on_track: "↗", behind: "✕", insufficient: "?", implausible: "!", no_target: "–" };

/** Status words and rules ({n}: the households a year needs), comparisons, the report link. */
export const PROGRESS_WORDS = {
  status_implausible: ["数据异常", "implausible data"],
  status_insufficient: ["数据不足", "insufficient data"],
  status_no_target: ["无目标", "no target"],
  status_met: ["已达标", "met"],
  status_likely: ["基本达标", "likely met"],
  status_on_track: ["按期可达", "on track"],
  status_behind: ["落后", "behind"],
  explain_implausible: ["比率超过 100%,请先核查数据", "rate above 100 %: check the data first"],
  explain_insufficient: ["少于 {n} 户,不作判断", "fewer than {n} households: not judged"],
  explain_met: ["95% 区间整体达到目标", "the whole 95 % interval reaches the target"],
  explain_likely: ["估计值达到目标,区间下限未达到", "the estimate reaches the target, the interval's low end does not"],
  explain_on_track: ["按现有趋势可在目标年前达到", "the trend reaches the target by its year"],
  explain_behind: ["按现有趋势到目标年达不到", "the trend does not reach the target by its year"],
  explain_no_target: ["该地区此指标没有目标", "no target applies to this region for this indicator"],
  at_least: ["≥", "≥ "],
  at_most: ["≤", "≤ "],
  annual_report: ["年度报告", "Annual report"],
};
