//! The agriwaste domain: the survey model, its validation, and (in later modules) the
//! indicators and charts computed from surveys.
//!
//! This crate is pure: no I/O, no clock, no HTTP, no database. It compiles natively into
//! the server and to WebAssembly for the browser and the phone, so all three compute the
//! same numbers with the same code. What it needs from the outside world (today's date,
//! the region table, coefficients) is passed in.

pub mod csv;
pub mod issue;
pub mod regions;
pub mod survey;
pub mod synthetic;
pub mod validation;

pub use issue::{Issue, IssueCode, Severity};
pub use regions::{Region, RegionLevel, RegionTable};
pub use survey::{Survey, parse_survey};
pub use validation::{ValidationContext, validate};
