// The survey's fields in the wire format's terms (analytics-wasm/src/survey.rs): key,
// labels, kind, unit and choices. The collect form builds its inputs from this table and
// the review page names values with it, so a field reads the same on both.

const kg = { zh: "公斤", en: "kg" };
const mu = { zh: "亩", en: "mu" };
const pieces = { zh: "个", en: "pcs" };
const head = { zh: "头", en: "head" };

/**
 * What a number left blank means, said next to the field (REFERENCE.md: a blank is not
 * recorded, which is not 0). Which one a field takes follows the wire format
 * (analytics-wasm/src/survey.rs): a required amount cannot be blank (the analytics module
 * asks for 0 when there is none); an amount the format defaults to 0 is none (left out,
 * the format reads 0); an optional amount is left out, not recorded. No blank becomes 0
 * without the form saying so.
 */
export const BLANK = {
  required: { zh: "必填;没有时填 0", en: "required; enter 0 if there is none" },
  none: { zh: "留空表示没有(0)", en: "blank means none (0)" },
  not_recorded: { zh: "留空表示未记录", en: "blank means not recorded" },
  default: { zh: "留空按 {n} 计", en: "blank counts as {n}" },
};

/** How an absent value reads on the review page and wherever a survey is shown. */
export const NOT_RECORDED = { zh: "未记录", en: "not recorded" };

/**
 * Sections: wire key, labels, fields (`key`, labels, `kind`, `unit`, select `options`,
 * and for numbers `blank`, a key of `BLANK`).
 */
export const SECTIONS = {
  film: {
    fields: [
      { key: "used_kg", zh: "地膜使用量", en: "Film used", kind: "number", unit: kg, blank: "required" },
      { key: "recovered_kg", zh: "地膜回收量", en: "Film recovered", kind: "number", unit: kg, blank: "required" },
      { key: "degradable_kg", zh: "其中可降解地膜", en: "of which degradable", kind: "number", unit: kg, blank: "none" },
      { key: "area_mu", zh: "覆膜面积", en: "Area covered", kind: "number", unit: mu, blank: "not_recorded" },
      { key: "thickness_mm", zh: "地膜厚度", en: "Film thickness", kind: "number", unit: { zh: "毫米", en: "mm" }, step: "0.001", blank: "not_recorded" },
      {
        key: "recovery_channel", zh: "主要去向", en: "Where most of it went", kind: "select",
        options: [
          ["recovery_point", "回收网点", "recovery point"],
          ["waste_supermarket", "垃圾超市", "waste supermarket"],
          ["reuse", "一膜多茬(重复使用)", "reused for several seasons"],
          ["burned", "焚烧", "burned"],
          ["buried", "掩埋", "buried"],
          ["left_in_field", "遗留田间", "left in the field"],
        ],
      },
    ],
  },
  pesticide_packaging: {
    fields: [
      { key: "used_count", zh: "使用包装数", en: "Packages used", kind: "integer", unit: pieces, blank: "required" },
      { key: "returned_count", zh: "回收包装数", en: "Packages returned", kind: "integer", unit: pieces, blank: "required" },
      { key: "used_kg", zh: "使用包装重量", en: "Weight used", kind: "number", unit: kg, blank: "not_recorded" },
      { key: "returned_kg", zh: "回收包装重量", en: "Weight returned", kind: "number", unit: kg, blank: "not_recorded" },
      {
        key: "return_channel", zh: "回收去向", en: "Returned to", kind: "select",
        options: [
          ["seller", "农药销售者", "seller"],
          ["recovery_point", "回收网点", "recovery point"],
          ["waste_supermarket", "垃圾超市", "waste supermarket"],
          ["improper_disposal", "随意丢弃 / 焚烧 / 掩埋", "improper disposal"],
        ],
      },
    ],
  },
  straw: {
    fields: [
      {
        key: "crop", zh: "作物", en: "Crop", kind: "select", required: true,
        options: [
          ["highland_barley", "青稞", "highland barley"],
          ["spring_wheat", "春小麦", "spring wheat"],
          ["rapeseed", "油菜", "rapeseed"],
          ["potato", "马铃薯", "potato"],
          ["corn", "玉米", "corn"],
          ["pea_broad_bean", "豌豆 / 蚕豆", "pea / broad bean"],
          ["other", "其他作物", "other crop"],
        ],
      },
      { key: "area_mu", zh: "播种面积", en: "Sown area", kind: "number", unit: mu, blank: "not_recorded" },
      { key: "yield_kg", zh: "产量", en: "Yield", kind: "number", unit: kg, blank: "not_recorded" },
      { key: "straw_kg", zh: "可收集秸秆量(实测)", en: "Collectable straw (measured)", kind: "number", unit: kg, estimate: true, blank: "not_recorded" },
      // Straw counted instead of weighed (the wire format's `straw_count` object): the
      // form groups the `count` fields in one box and sends the object only when a count
      // or a weight is given.
      {
        key: "straw_count.unit", zh: "计数方式", en: "Counted by", kind: "select", required: true, count: true,
        options: [
          ["bundle", "按捆", "the bundle"],
          ["cartload", "按车", "the cart-load"],
        ],
      },
      { key: "straw_count.count", zh: "捆数或车数", en: "Bundles or cart-loads counted", kind: "number", count: true, blank: "not_recorded" },
      { key: "straw_count.kg_each", zh: "每捆或每车重量", en: "Weight of one bundle or cart-load", kind: "number", unit: kg, count: true, blank: "not_recorded" },
      { key: "fertilizer_kg", zh: "肥料化(含还田)", en: "Fertilizer (incl. returned to field)", kind: "number", unit: kg, use: true, blank: "none" },
      { key: "feed_kg", zh: "饲料化", en: "Feed", kind: "number", unit: kg, use: true, blank: "none" },
      { key: "substrate_kg", zh: "基料化", en: "Substrate", kind: "number", unit: kg, use: true, blank: "none" },
      { key: "fuel_kg", zh: "燃料化", en: "Fuel", kind: "number", unit: kg, use: true, blank: "none" },
      { key: "raw_material_kg", zh: "原料化", en: "Industrial raw material", kind: "number", unit: kg, use: true, blank: "none" },
      { key: "burned_kg", zh: "露天焚烧", en: "Burned in the open", kind: "number", unit: kg, blank: "none" },
      { key: "discarded_kg", zh: "废弃", en: "Discarded", kind: "number", unit: kg, blank: "none" },
    ],
  },
  yak_dung: {
    fields: [
      { key: "yak_head", zh: "牦牛存栏", en: "Yaks kept", kind: "integer", unit: head, blank: "not_recorded" },
      { key: "produced_kg", zh: "牛粪产生量(实测)", en: "Dung produced (measured)", kind: "number", unit: kg, estimate: true, blank: "not_recorded" },
      { key: "fuel_kg", zh: "燃料利用", en: "Used as fuel", kind: "number", unit: kg, blank: "none" },
      { key: "fertilizer_kg", zh: "肥料利用", en: "Used as fertilizer", kind: "number", unit: kg, blank: "none" },
      { key: "other_kg", zh: "其他利用", en: "Other uses", kind: "number", unit: kg, blank: "none" },
      { key: "discarded_kg", zh: "废弃", en: "Discarded", kind: "number", unit: kg, blank: "none" },
    ],
  },
};

/** The household identity and location fields (top level of the survey). */
export const IDENTITY = [
  { key: "county_code", zh: "县(区划代码)", en: "County (division code)", kind: "select", required: true, options: [] },
  { key: "township", zh: "乡镇", en: "Township", kind: "text" },
  { key: "village", zh: "村", en: "Village", kind: "text" },
  { key: "household", zh: "农户名称或编号", en: "Household name or code", kind: "text", required: true },
  { key: "surveyed_on", zh: "调查日期", en: "Survey date", kind: "date", required: true },
  { key: "technician", zh: "调查员", en: "Technician", kind: "text", readonly: true },
  { key: "weight", zh: "抽样权重", en: "Sampling weight", kind: "number", unit: { zh: "户", en: "households" }, blank: "default", default: 1 },
];

export const LOCATION = [
  { key: "location.lat", zh: "纬度", en: "Latitude", kind: "number", unit: { zh: "°N", en: "°N" }, step: "any", blank: "not_recorded" },
  { key: "location.lon", zh: "经度", en: "Longitude", kind: "number", unit: { zh: "°E", en: "°E" }, step: "any", blank: "not_recorded" },
  { key: "location.accuracy_m", zh: "精度", en: "Accuracy", kind: "number", unit: { zh: "米", en: "m" }, blank: "not_recorded" },
];

/**
 * The field at a wire path (`film.used_kg`, `straw[0].feed_kg`,
 * `straw[0].straw_count.kg_each`, `location.lat`, `household`), or null for a path that
 * names no field.
 */
export function fieldAt(path) {
  const match = /^(film|pesticide_packaging|yak_dung|straw)(?:\[(\d+)\])?\.([\w.]+)$/.exec(path);
  if (match) return SECTIONS[match[1]].fields.find((f) => f.key === match[3]) ?? null;
  return [...IDENTITY, ...LOCATION].find((f) => f.key === path) ?? null;
}

/** The value of a field of `object` by its key, which may be dotted (`straw_count.kg_each`). */
export function valueOf(object, key) {
  return key.split(".").reduce((at, part) => (at == null ? undefined : at[part]), object);
}

/**
 * What differs between two versions of a survey: `[path, before, after]` for every leaf
 * whose value differs (a value absent on one side is undefined there).
 */
export function changedFields(before, after) {
  const flat = (value, prefix, out) => {
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) flat(v, Array.isArray(value) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k, out);
    } else out.set(prefix, value);
    return out;
  };
  const a = flat(before, "", new Map());
  const b = flat(after, "", new Map());
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).map((k) => [k, a.get(k), b.get(k)]);
}
