//! The weighted ratio estimator checked against an independent implementation:
//! `tests/estimator_check.py` (Python standard library only, its own t quantile by a
//! different method) recomputes every estimate this test writes, from the same
//! household observations.

use agriwaste_analytics::coefficients::Coefficients;
use agriwaste_analytics::estimate::{Observation, ratio_estimate};
use agriwaste_analytics::indicators::{Grouping, Indicator, facts_from_surveys, group};
use agriwaste_analytics::regions::{RegionLevel, RegionTable};
use agriwaste_analytics::synthetic::SyntheticSpec;
use serde_json::json;
use std::path::Path;
use std::process::Command;

#[test]
fn python_reimplementation_agrees() {
    let mut cases = Vec::new();
    let mut add = |name: String, observations: Vec<Observation>| {
        let e = ratio_estimate(&observations);
        cases.push(json!({
            "name": name,
            "observations": observations.iter().map(|o| [o.y, o.x, o.w]).collect::<Vec<_>>(),
            "rust": {
                "n": e.n, "rate": e.rate, "unweighted_rate": e.unweighted_rate,
                "se": e.se, "ci_low": e.ci_low, "ci_high": e.ci_high,
            },
        }));
    };
    // Synthetic households grouped by county × year and by prefecture: groups from a
    // handful of households to several hundred, weighted and unweighted mixed.
    let facts = facts_from_surveys(
        &SyntheticSpec::default().surveys(6_000),
        &Coefficients::builtin(),
        None,
    );
    let regions = RegionTable::builtin();
    for level in [RegionLevel::County, RegionLevel::Prefecture] {
        let grouping = Grouping {
            level: Some(level),
            by_year: true,
        };
        for (key, members) in group(&facts, grouping, &regions) {
            for indicator in Indicator::ALL {
                let observations: Vec<Observation> = members
                    .iter()
                    .filter_map(|&i| {
                        let f = &facts[i];
                        f.get(indicator).map(|r| Observation {
                            y: r.y,
                            x: r.x,
                            w: f.weight,
                        })
                    })
                    .collect();
                add(format!("{key:?} {}", indicator.key()), observations);
            }
        }
    }
    // Edge cases: empty, one household, zero denominators.
    add("empty".into(), vec![]);
    add(
        "one household".into(),
        vec![Observation {
            y: 3.0,
            x: 4.0,
            w: 2.0,
        }],
    );
    add(
        "zero denominator".into(),
        vec![
            Observation {
                y: 0.0,
                x: 0.0,
                w: 1.0,
            },
            Observation {
                y: 0.0,
                x: 0.0,
                w: 5.0,
            },
        ],
    );
    assert!(cases.len() > 500, "{} cases", cases.len());

    let dir = tempfile::tempdir().expect("a temporary directory");
    let fixture = dir.path().join("estimator-fixture.json");
    let text = serde_json::to_string(&json!({ "cases": cases })).expect("the cases serialise");
    std::fs::write(&fixture, text).expect("the fixture is written");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/estimator_check.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(&fixture)
        .output()
        .expect("python3 runs tests/estimator_check.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Python disagrees:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
