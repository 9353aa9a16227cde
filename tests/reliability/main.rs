//! The reliability suite (`just test-reliability`): the server under load, under
//! `kill -9`, as two replicas on one PostgreSQL database, and under hostile input,
//! each against the real binary on SQLite and PostgreSQL.
//!
//! Sizes come from the environment (see `fleet::Sizes`); the defaults keep the whole
//! suite to a few minutes on two cores. Run it with `--test-threads=1 --nocapture`:
//! the tests measure and print latency and throughput, and must not compete.

mod crash;
mod fleet;
mod hostile;
mod load;
mod scaleout;
mod schemathesis;
