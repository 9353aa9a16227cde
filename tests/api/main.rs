//! End-to-end tests of the HTTP API: each starts the real `agriwaste` binary on a fresh
//! SQLite file and a fresh PostgreSQL database and talks HTTP to it.

mod accounts;
mod aggregates;
mod attachments;
mod authorization;
mod batch;
mod coefficients;
mod compression;
mod corrections;
mod crash;
mod data_version;
mod exports;
mod facts;
mod groups;
mod headers;
mod indicators;
mod limits;
mod listing;
mod ops;
mod pages;
mod plans;
mod progress;
mod review;
mod review_loop;
mod straw;
mod submit;
mod sums;
mod validation;
mod web_files;
