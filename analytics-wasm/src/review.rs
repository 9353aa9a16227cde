//! The review workflow a survey goes through before its numbers count.
//!
//! `received` on submission; a reviewer sets `approved`, `has_issues` (with a comment to
//! the technician) or `rejected` (with the reason), and may change that decision later;
//! a correction of the survey's content moves it to `edited`, back into the reviewers'
//! queue. Indicators count every state but `rejected` by default, or `approved` only on
//! request.

use serde::{Deserialize, Serialize};

/// Where a survey stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Submitted, not yet reviewed.
    Received,
    /// Corrected since it was submitted or reviewed; to be reviewed again.
    Edited,
    /// Checked and accepted.
    Approved,
    /// Sent back to the technician with a comment.
    HasIssues,
    /// Not to be counted.
    Rejected,
}

impl ReviewState {
    /// Every state.
    pub const ALL: [ReviewState; 5] = [
        ReviewState::Received,
        ReviewState::Edited,
        ReviewState::Approved,
        ReviewState::HasIssues,
        ReviewState::Rejected,
    ];

    /// The wire and storage key.
    pub fn key(self) -> &'static str {
        match self {
            ReviewState::Received => "received",
            ReviewState::Edited => "edited",
            ReviewState::Approved => "approved",
            ReviewState::HasIssues => "has_issues",
            ReviewState::Rejected => "rejected",
        }
    }

    /// Parses a key.
    pub fn from_key(key: &str) -> Option<ReviewState> {
        ReviewState::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether a reviewer may set this state (the others follow from submission and
    /// correction).
    pub fn is_decision(self) -> bool {
        matches!(
            self,
            ReviewState::Approved | ReviewState::HasIssues | ReviewState::Rejected
        )
    }

    /// Whether a decision needs a comment: the technician must be told what to fix, and
    /// a survey that stops counting must say why (the bureau answers for its numbers).
    pub fn needs_comment(self) -> bool {
        matches!(self, ReviewState::HasIssues | ReviewState::Rejected)
    }

    /// Whether surveys in this state count in indicators by default.
    pub fn counts_by_default(self) -> bool {
        self != ReviewState::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for state in ReviewState::ALL {
            assert_eq!(ReviewState::from_key(state.key()), Some(state));
            let json = serde_json::to_string(&state).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", state.key()));
        }
        assert_eq!(ReviewState::from_key("done"), None);
    }

    #[test]
    fn only_reviewer_decisions_can_be_set() {
        let decisions: Vec<_> = ReviewState::ALL
            .into_iter()
            .filter(|s| s.is_decision())
            .collect();
        assert_eq!(
            decisions,
            [
                ReviewState::Approved,
                ReviewState::HasIssues,
                ReviewState::Rejected
            ]
        );
        assert!(!ReviewState::Rejected.counts_by_default());
        assert!(ReviewState::Rejected.needs_comment() && ReviewState::HasIssues.needs_comment());
        assert!(!ReviewState::Approved.needs_comment());
        assert!(ReviewState::Edited.counts_by_default());
    }
}
