//! The review workflow a survey goes through before its numbers count.
//!
//! `received` on submission; a reviewer sets `approved`, `has_issues` (with a comment to
//! the technician) or `rejected` (with the reason), and may change that decision later.
//! A correction of the content puts the survey back into the reviewers' queue
//! ([`ReviewState::after_correction`]): `edited` when nobody had returned it,
//! `corrected` when it had been returned with `has_issues`, `resubmitted` when it had
//! been rejected. The last two are "corrected after review": the reviewer's page lists
//! them apart and shows what changed since the decision.
//!
//! Counting policy ([`ReviewState::counts_by_default`]): indicators count every state
//! but `rejected` and `resubmitted` by default, or `approved` only on request. A survey
//! a reviewer rejected therefore does not count again until a reviewer has looked at
//! its correction and decided anew; a survey returned with `has_issues` counted before
//! its correction and still does after it.

use serde::{Deserialize, Serialize};

/// Where a survey stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Submitted, not yet reviewed.
    Received,
    /// Corrected since it was submitted or approved; to be reviewed again.
    Edited,
    /// Checked and accepted.
    Approved,
    /// Sent back to the technician with a comment.
    HasIssues,
    /// Not to be counted.
    Rejected,
    /// Corrected by the technician after it was returned with `has_issues`; to be
    /// reviewed again.
    Corrected,
    /// Corrected by the technician after it was rejected; to be reviewed again, and not
    /// counted until then.
    Resubmitted,
}

impl ReviewState {
    /// Every state.
    pub const ALL: [ReviewState; 7] = [
        ReviewState::Received,
        ReviewState::Edited,
        ReviewState::Approved,
        ReviewState::HasIssues,
        ReviewState::Rejected,
        ReviewState::Corrected,
        ReviewState::Resubmitted,
    ];

    /// The wire and storage key (at most 16 characters: the column's width).
    pub fn key(self) -> &'static str {
        match self {
            ReviewState::Received => "received",
            ReviewState::Edited => "edited",
            ReviewState::Approved => "approved",
            ReviewState::HasIssues => "has_issues",
            ReviewState::Rejected => "rejected",
            ReviewState::Corrected => "corrected",
            ReviewState::Resubmitted => "resubmitted",
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

    /// Whether the technician has to act: the survey was returned and not corrected yet.
    pub fn needs_action(self) -> bool {
        matches!(self, ReviewState::HasIssues | ReviewState::Rejected)
    }

    /// Whether surveys in this state count in indicators by default. A rejection holds
    /// until a reviewer has decided on the correction: `resubmitted` does not count.
    pub fn counts_by_default(self) -> bool {
        !matches!(self, ReviewState::Rejected | ReviewState::Resubmitted)
    }

    /// The state a correction of the content moves a survey in this state to: back to
    /// the reviewers, remembering whether a reviewer had returned it and how.
    pub fn after_correction(self) -> ReviewState {
        match self {
            ReviewState::Received | ReviewState::Edited | ReviewState::Approved => {
                ReviewState::Edited
            }
            ReviewState::HasIssues | ReviewState::Corrected => ReviewState::Corrected,
            ReviewState::Rejected | ReviewState::Resubmitted => ReviewState::Resubmitted,
        }
    }

    /// Whether the survey was returned by a reviewer and corrected since, so that the
    /// reviewer looks at what changed since the decision.
    pub fn is_corrected_after_review(self) -> bool {
        matches!(self, ReviewState::Corrected | ReviewState::Resubmitted)
    }
}

/// Which surveys a figure counts, by their review state: the counting policy of
/// [`ReviewState::counts_by_default`] applied to a set of states, so that storage, the
/// server and the dashboard select the same surveys (a rejected one never counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Every state that counts by default.
    #[default]
    Counted,
    /// `approved` only.
    ApprovedOnly,
    /// The states that count by default except `approved`: with [`Counting::ApprovedOnly`],
    /// the two classes every review filter is a union of.
    Unapproved,
}

impl Counting {
    /// Whether a survey in `state` counts.
    pub fn admits(self, state: ReviewState) -> bool {
        match self {
            Counting::Counted => state.counts_by_default(),
            Counting::ApprovedOnly => state == ReviewState::Approved,
            Counting::Unapproved => state.counts_by_default() && state != ReviewState::Approved,
        }
    }

    /// The states admitted, in [`ReviewState::ALL`] order.
    pub fn states(self) -> impl Iterator<Item = ReviewState> {
        ReviewState::ALL
            .into_iter()
            .filter(move |&s| self.admits(s))
    }
}

/// A reviewer's comment on one field of a survey, shown to the technician at that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldComment {
    /// The field's path in the survey, as issues name it (`film.used_kg`).
    pub path: String,
    /// What to check or fix there.
    pub comment: String,
}

impl FieldComment {
    /// Most comments one decision may carry on fields.
    pub const MAX_PER_DECISION: usize = 100;
    /// Longest path, in characters.
    pub const MAX_PATH_CHARS: usize = 200;
    /// Longest comment, in characters.
    pub const MAX_COMMENT_CHARS: usize = 2000;

    /// A field comment with its text trimmed, or `None` when nothing is said (an empty
    /// comment is dropped, not stored) or the path or text is too long to be a field.
    pub fn parse(path: &str, comment: &str) -> Option<Result<FieldComment, FieldCommentError>> {
        let (path, comment) = (path.trim(), comment.trim());
        if comment.is_empty() {
            return None;
        }
        Some(
            if path.is_empty() || path.chars().count() > Self::MAX_PATH_CHARS {
                Err(FieldCommentError::Path)
            } else if comment.chars().count() > Self::MAX_COMMENT_CHARS {
                Err(FieldCommentError::TooLong)
            } else {
                Ok(FieldComment {
                    path: path.to_owned(),
                    comment: comment.to_owned(),
                })
            },
        )
    }
}

/// Why a field comment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldCommentError {
    /// No field path, or one longer than any field's.
    Path,
    /// The comment is longer than [`FieldComment::MAX_COMMENT_CHARS`].
    TooLong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_fit_the_column() {
        for state in ReviewState::ALL {
            assert_eq!(ReviewState::from_key(state.key()), Some(state));
            let json = serde_json::to_string(&state).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", state.key()));
            assert!(state.key().len() <= 16, "{}", state.key());
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
        for state in ReviewState::ALL {
            assert_eq!(
                Counting::Counted.admits(state),
                Counting::ApprovedOnly.admits(state) || Counting::Unapproved.admits(state),
                "{state:?}: counted is approved plus unapproved"
            );
            assert!(!(Counting::ApprovedOnly.admits(state) && Counting::Unapproved.admits(state)));
        }
        assert!(
            Counting::Counted
                .states()
                .all(|s| s != ReviewState::Rejected)
        );
        assert!(ReviewState::Rejected.needs_comment() && ReviewState::HasIssues.needs_comment());
        assert!(!ReviewState::Approved.needs_comment());
        assert!(ReviewState::Edited.counts_by_default());
    }

    /// Each state, the state its correction leads to, and whether the corrected survey
    /// counts before a reviewer has looked at it.
    #[test]
    fn a_correction_keeps_a_rejection_out_of_the_figures() {
        let check = |before: ReviewState, after: ReviewState, counts: bool| {
            let corrected = before.after_correction();
            assert_eq!(corrected, after, "{before:?}");
            assert_eq!(corrected.counts_by_default(), counts, "{before:?}");
            assert!(!corrected.needs_action(), "{before:?}");
            assert!(!corrected.is_decision(), "{before:?}");
        };
        check(ReviewState::Received, ReviewState::Edited, true);
        check(ReviewState::Edited, ReviewState::Edited, true);
        check(ReviewState::Approved, ReviewState::Edited, true);
        check(ReviewState::HasIssues, ReviewState::Corrected, true);
        check(ReviewState::Corrected, ReviewState::Corrected, true);
        check(ReviewState::Rejected, ReviewState::Resubmitted, false);
        check(ReviewState::Resubmitted, ReviewState::Resubmitted, false);
    }

    #[test]
    fn field_comments_are_trimmed_and_empty_ones_dropped() {
        assert_eq!(FieldComment::parse("film.used_kg", "  "), None);
        assert_eq!(
            FieldComment::parse(" film.used_kg ", " 请核对 "),
            Some(Ok(FieldComment {
                path: "film.used_kg".to_owned(),
                comment: "请核对".to_owned()
            }))
        );
        assert_eq!(
            FieldComment::parse("", "x"),
            Some(Err(FieldCommentError::Path))
        );
        let long = "长".repeat(FieldComment::MAX_COMMENT_CHARS + 1);
        assert_eq!(
            FieldComment::parse("household", &long),
            Some(Err(FieldCommentError::TooLong))
        );
    }

    #[test]
    fn corrected_after_review_is_exactly_a_returned_survey_corrected() {
        for state in ReviewState::ALL {
            let returned = state.needs_action();
            assert_eq!(
                state.after_correction().is_corrected_after_review(),
                returned || state.is_corrected_after_review(),
                "{state:?}"
            );
        }
    }
}
