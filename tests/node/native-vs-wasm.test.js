// The same fixture through the native crate and through the WASM module under Node must
// give byte-identical indicator JSON and SVG (issue 3's acceptance). The native side is
// written by `analytics-wasm/examples/native_fixture.rs`; `scripts/test-wasm.sh` runs it
// and points AGRIWASTE_NATIVE_DIR at its output.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const nativeDir = process.env.AGRIWASTE_NATIVE_DIR;
const pkgDir = path.join(__dirname, "pkg");

test("the native fixture and the WASM build are present", () => {
  assert.ok(nativeDir, "AGRIWASTE_NATIVE_DIR is not set: run `just test-wasm`");
  assert.ok(fs.existsSync(path.join(nativeDir, "cases.json")), "native cases missing");
  assert.ok(fs.existsSync(path.join(pkgDir, "agriwaste_analytics.js")), "run `just wasm` first");
});

if (nativeDir && fs.existsSync(path.join(nativeDir, "cases.json"))) {
  const wasm = require(path.join(pkgDir, "agriwaste_analytics.js"));
  const surveys = fs.readFileSync(path.join(nativeDir, "surveys.json"), "utf8");
  const cases = JSON.parse(fs.readFileSync(path.join(nativeDir, "cases.json"), "utf8"));

  test("the fixture covers every export and both outcomes", () => {
    const functions = new Set(cases.map((c) => c.function));
    for (const name of ["computeIndicators", "chartData", "renderChart", "validateSurvey",
      "estimateStraw", "estimateDung", "defaultCoefficients", "householdFacts",
      "computeFromFacts", "coefficientsOfApplicable", "assessProgress", "progressBoard",
      "FactSet.fromSums#dashboard", "FactSet.fromSums#progress"]) {
      assert.ok(functions.has(name), `no case for ${name}`);
    }
    assert.ok(cases.some((c) => "err" in c.expected), "no error case");
    assert.ok(cases.filter((c) => c.function === "renderChart").length >= 8);
  });

  // "Class.constructor#method": the first argument builds the object (a FactSet from
  // the body of /api/v1/sums), the rest go to the method; otherwise a free function.
  const call = (name, args) => {
    if (!name.includes("#")) return wasm[name](...args);
    const [made, method] = name.split("#");
    const [cls, constructor] = made.split(".");
    const object = wasm[cls][constructor](args[0]);
    try {
      return object[method](...args.slice(1));
    } finally {
      object.free();
    }
  };

  for (const c of cases) {
    test(`${c.name.slice(0, 120)} is identical in WASM`, () => {
      const args = c.args.map((a) => (a === "@surveys" ? surveys : a));
      let actual;
      try {
        actual = { ok: call(c.function, args) };
      } catch (thrown) {
        actual = { err: String(thrown) };
      }
      if ("ok" in c.expected && "ok" in actual) {
        // Compare as strings: bit-identical means identical text, not merely equal values.
        assert.equal(actual.ok.length, c.expected.ok.length, "output lengths differ");
        assert.ok(actual.ok === c.expected.ok, firstDifference(actual.ok, c.expected.ok));
      } else {
        assert.deepEqual(actual, c.expected);
      }
    });
  }

  test("SurveySet gives the same report as the free function", () => {
    const set = new wasm.SurveySet(surveys);
    assert.equal(set.length, 2000);
    const options = '{"level":"county","by_year":true}';
    assert.ok(set.computeIndicators(options) === wasm.computeIndicators(surveys, options));
    set.free();
  });

  test("straw counted in bundles is checked and totalled alike in both builds", () => {
    const expected = (name) => JSON.parse(cases.find((c) => c.name === name).expected.ok);
    // 20 bundles of 80 kg: kept, with a warning at the weight of one.
    assert.deepEqual(expected("validateSurvey straw counted").map((i) => [i.path, i.code, i.severity]),
      [["straw[0].straw_count.kg_each", "implausible_unit_weight", "warning"]]);
    assert.ok(expected("validateSurvey straw negative weight of one")
      .some((i) => i.path === "straw[0].straw_count.kg_each" && i.code === "negative" && i.severity === "error"));
    const total = JSON.parse(wasm.estimateStraw('{"crop":"highland_barley","straw_count":{"unit":"bundle","count":24,"kg_each":12.5}}', ""));
    assert.deepEqual(total, { amount: { kg: 300, source: "counted" }, cannot_estimate: null });
    // The fixture's synthetic surveys count some 青稞 and leave yield-only 青稞 out, per group.
    const report = JSON.parse(wasm.computeIndicators(surveys, '{"level":"prefecture","by_year":true}'));
    assert.ok(report.groups.some((g) => g.provenance.straw_counted_kg > 0));
    assert.ok(report.groups.some((g) => g.provenance.straw_crops_left_out.highland_barley > 0));
  });

  test("errors arrive as Issue JSON", () => {
    assert.throws(() => wasm.computeIndicators("[", "{}"), (thrown) => {
      const issue = JSON.parse(thrown);
      return issue.code === "invalid_json" && issue.message_zh.length > 0;
    });
  });

  test("reports have null, never NaN, for empty denominators", () => {
    const report = JSON.parse(wasm.computeIndicators(surveys, '{"level":"county","by_year":true}'));
    assert.ok(report.groups.length > 0);
    for (const group of report.groups) {
      for (const estimate of Object.values(group.indicators)) {
        assert.ok(estimate.rate === null || Number.isFinite(estimate.rate));
        if (estimate.weighted_denominator === 0) assert.equal(estimate.rate, null);
      }
    }
  });
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i += 1;
  return `outputs differ at byte ${i}: wasm ${JSON.stringify(a.slice(i, i + 60))} vs native ${JSON.stringify(b.slice(i, i + 60))}`;
}
