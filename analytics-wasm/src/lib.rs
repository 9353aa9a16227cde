//! The agriwaste domain: the survey model, its validation, the indicators and
//! charts computed from surveys.
//!
//! This crate is pure: no I/O, no clock, no HTTP, no database. It compiles natively into
//! the server and to WebAssembly for the browser and the phone, so all three compute the
//! same numbers with the same code. What it needs from the outside world (today's date,
//! the region table, coefficients) is passed in.
//!
//! Map of the modules, one line each:
//!
//! - [`survey`]: the wire format of one household's survey, units in the field names.
//! - [`issue`]: a problem with one field: path, machine code, severity, zh/en message.
//! - [`labels`]: each wire path's label and unit as the form shows them, for messages.
//! - [`validation`]: every rule a survey must meet, the same on phone and server.
//! - [`review`]: a survey's review state and the rules for changing it.
//! - [`regions`]: the division codes, their names and hierarchy.
//! - [`coefficients`]: straw and dung estimates from yield and herd size (data, not code).
//! - [`indicators`]: surveys → per-household facts → groups (region level × year) → rates.
//! - [`estimate`]: the weighted ratio estimator, Taylor SE and Student-t interval.
//! - [`aggregate`]: finishing a group from its sums, whether from households or SQL.
//! - [`quality`]: the data-quality flags of a group.
//! - [`targets`]: applicable target, gap in points, plan phase.
//! - [`progress`]: status against a target, trend, required gain; the progress board.
//! - [`plans`]: each region's plan and its phases (Ali 2024–2030, Qinghai's 14th FYP).
//! - [`groups`]: named groups of counties (the Ali pilot), pooled like a region.
//! - [`report`]: a group with its target progress, and the surveys left out.
//! - [`dashboard`]: the dashboard's charts and progress board, from sums held in memory.
//! - [`sums`]: county × year × review-class sums, the form the server sends the dashboard.
//! - [`charts`]: the four charts' data and drawing, as SVG (every target) and PNG
//!   (feature `png`).
//! - [`columns`]: household facts by column, the form the server sends the dashboard.
//! - [`api`]: JSON in, JSON out; what `wasm` exports, callable natively so both run the
//!   same code.
//! - `wasm` (wasm32 only): the one `#[wasm_bindgen]` module, a thin shell over [`api`].
//! - [`synthetic`]: deterministic realistic surveys for demo data, tests and benchmarks.
//! - [`csv`]: the reader of the shipped data tables.

pub mod aggregate;
pub mod api;
pub mod charts;
pub mod coefficients;
pub mod columns;
pub mod csv;
pub mod dashboard;
pub mod estimate;
pub mod groups;
pub mod indicators;
pub mod issue;
pub mod labels;
pub mod plans;
pub mod progress;
pub mod quality;
pub mod regions;
pub mod report;
pub mod review;
pub mod sums;
pub mod survey;
pub mod synthetic;
pub mod targets;
pub mod validation;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use coefficients::Coefficients;
pub use estimate::{RatioEstimate, ratio_estimate};
pub use indicators::{
    GroupIndicators, Grouping, HouseholdFacts, Indicator, compute, compute_from_surveys,
};
pub use issue::{Issue, IssueCode, Severity};
pub use regions::{Region, RegionLevel, RegionTable};
pub use survey::{Survey, parse_survey};
pub use validation::{ValidationContext, validate};
