//! Who is making a request. Every write handler takes the principal as an explicit input
//! and records it as the author of what it writes.
//!
//! Accounts do not exist yet: every request is anonymous, and a survey's author is the
//! technician it names. When authentication arrives, the middleware that inserts the
//! principal changes; the handlers do not.

use agriwaste_analytics::Survey;

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials (the only kind until accounts exist).
    Anonymous,
}

impl Principal {
    /// The name recorded as the author of a write concerning `survey`.
    pub fn actor_for(&self, survey: &Survey) -> String {
        match self {
            Principal::Anonymous => survey.technician.trim().to_owned(),
        }
    }
}
