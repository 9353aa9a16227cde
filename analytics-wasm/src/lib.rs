//! The agriwaste domain: the survey model, its validation, the indicators and
//! charts computed from surveys.
//!
//! This crate is pure: no I/O, no clock, no HTTP, no database. It compiles natively into
//! the server and to WebAssembly for the browser and the phone, so all three compute the
//! same numbers with the same code. What it needs from the outside world (today's date,
//! the region table, coefficients) is passed in.
//!
//! Map of the modules:
//!
//! - [`survey`], [`issue`], [`validation`], [`regions`]: the wire format and its rules.
//! - [`coefficients`]: straw and dung estimates from yield and herd size (data, not code).
//! - [`indicators`]: surveys → per-household facts → groups (region level × year) →
//!   the six indicators as ratios of totals, with [`estimate`] (weighted ratio, Taylor
//!   SE, t interval) and [`quality`] (flags per group).
//! - [`targets`]: applicable target, gap in points, plan phase.
//! - [`charts`]: the four charts as SVG (every target) and PNG (feature `png`).
//! - [`columns`]: household facts by column, the form the server sends the dashboard.
//! - [`api`]: JSON in, JSON out; what `wasm` (wasm32 only, the one `#[wasm_bindgen]`
//!   module) exports, callable natively so both run the same code.
//! - [`synthetic`], [`csv`]: deterministic test data; the shipped tables' reader.

pub mod aggregate;
pub mod api;
pub mod charts;
pub mod coefficients;
pub mod columns;
pub mod csv;
pub mod estimate;
pub mod indicators;
pub mod issue;
pub mod quality;
pub mod regions;
pub mod review;
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
