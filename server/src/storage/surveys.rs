//! Surveys: create (idempotent on the client's id), correct (optimistic concurrency,
//! every version kept), read, list (keyset pagination) and history.

use std::collections::HashMap;

use agriwaste_analytics::coefficients::CoefficientTable;
use agriwaste_analytics::review::{FieldComment, ReviewState};
use agriwaste_analytics::{Issue, RegionLevel, RegionTable, Survey};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, SqlErr, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::{Change, append, append_all};
use super::entities::{survey_versions, surveys};
use super::facts::{self, FactsRow};
use super::{Storage, StorageError, insert_all, lock_advisory_keys, rows_per_statement};
use crate::auth::{Actor, SurveyScope};
use crate::ingest::ValidatedSurvey;

/// A survey as stored: the content plus its version and provenance.
#[derive(Debug, Clone)]
pub struct StoredSurvey {
    /// The survey's content.
    pub survey: Survey,
    /// 1 for the original submission, +1 for each correction.
    pub version: i32,
    /// Validation warnings stored with this version.
    pub warnings: Vec<Issue>,
    /// When the survey was first stored.
    pub created_at: DateTime<Utc>,
    /// Who submitted it.
    pub created_by: String,
    /// When the current version was stored.
    pub updated_at: DateTime<Utc>,
    /// Who stored the current version.
    pub updated_by: String,
    /// Where the survey stands in review.
    pub review: Review,
}

/// A survey's review state.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The state.
    pub state: ReviewState,
    /// The reviewer's comment to the technician.
    pub comment: Option<String>,
    /// Who set the state.
    pub reviewed_by: Option<String>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The version the decision was made on: what a correction is compared with.
    pub reviewed_version: Option<i32>,
    /// The decision's comments on single fields.
    pub field_comments: Vec<FieldComment>,
}

impl Review {
    fn received() -> Review {
        Review {
            state: ReviewState::Received,
            comment: None,
            reviewed_by: None,
            reviewed_at: None,
            reviewed_version: None,
            field_comments: Vec::new(),
        }
    }

    /// A reviewer's decision, made now on the version the survey is at.
    fn decided(decision: &Decision, actor: &Actor, at: DateTime<Utc>) -> Review {
        Review {
            state: decision.state,
            comment: decision.comment.clone(),
            reviewed_by: Some(actor.name.clone()),
            reviewed_at: Some(at),
            reviewed_version: None,
            field_comments: decision.field_comments.clone(),
        }
    }

    fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "state": self.state.key(), "comment": self.comment,
            "reviewed_by": self.reviewed_by, "reviewed_at": self.reviewed_at,
            "reviewed_version": self.reviewed_version, "field_comments": self.field_comments,
        })
    }
}

/// One version of a survey in its history.
#[derive(Debug, Clone)]
pub struct SurveyVersion {
    /// Version number.
    pub version: i32,
    /// The content of that version.
    pub survey: Survey,
    /// Warnings stored with that version.
    pub warnings: Vec<Issue>,
    /// `created` or `corrected`.
    pub change_kind: String,
    /// Who stored it.
    pub changed_by: String,
    /// When it was stored.
    pub changed_at: DateTime<Utc>,
    /// Why it was corrected, if the corrector said.
    pub note: Option<String>,
}

/// What happened to a submission.
#[derive(Debug, Clone)]
pub enum CreateOutcome {
    /// Stored as a new survey.
    Created(StoredSurvey),
    /// The same id with the same content was already stored: nothing written.
    Duplicate(StoredSurvey),
    /// The same id was stored with other content: nothing written.
    Conflict(StoredSurvey),
}

/// A correction of a stored survey.
#[derive(Debug, Clone)]
pub struct Correction {
    /// The corrected content, validated; its id is the survey's.
    pub survey: ValidatedSurvey,
    /// The version the corrector started from.
    pub base_version: i32,
    /// Why, if given.
    pub note: Option<String>,
}

/// What happened to a correction.
#[derive(Debug, Clone)]
pub enum CorrectOutcome {
    /// Stored as a new version.
    Corrected(StoredSurvey),
    /// The content equals the current version: nothing written.
    Unchanged(StoredSurvey),
    /// Someone else corrected it first; this is the current version.
    Stale(StoredSurvey),
    /// No survey with that id.
    NotFound,
}

/// A reviewer's decision, checked by the API against the analytics crate's rules.
#[derive(Debug, Clone)]
pub struct Decision {
    /// `approved`, `has_issues` or `rejected`.
    pub state: ReviewState,
    /// To the technician: what to fix, or why rejected.
    pub comment: Option<String>,
    /// Comments on single fields.
    pub field_comments: Vec<FieldComment>,
}

/// What happened to a review decision.
#[derive(Debug, Clone)]
pub enum ReviewOutcome {
    /// The decision was stored.
    Reviewed(StoredSurvey),
    /// The survey was corrected after the version the reviewer named; this is the
    /// current one, and nothing was written.
    Stale(StoredSurvey),
    /// No survey with that id.
    NotFound,
}

/// Which surveys to list.
#[derive(Debug, Clone, Default)]
pub struct SurveyFilter {
    /// The caller's scope.
    pub scope: SurveyScope,
    /// Review state.
    pub review_state: Option<ReviewState>,
    /// A region at any level, with everything below it.
    pub region: Option<(String, RegionLevel)>,
    /// Survey year.
    pub year: Option<i32>,
    /// Technician.
    pub technician: Option<String>,
    /// Only surveys stored or corrected at or after this time.
    pub modified_since: Option<DateTime<Utc>>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Only these surveys (a reviewer's selection).
    pub ids: Option<Vec<Uuid>>,
    /// Only surveys whose current version has (true) or has no (false) warnings.
    pub has_warnings: Option<bool>,
    /// Only surveys corrected after a reviewer returned them (true), or only the others
    /// (false).
    pub corrected_after_review: Option<bool>,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct SurveyPage {
    /// The surveys, in insertion order.
    pub items: Vec<StoredSurvey>,
    /// Where the next page starts, if there is one.
    pub next_after: Option<i64>,
}

/// SHA-256 of the canonical JSON: equal content, equal hash.
pub fn content_hash(survey: &Survey) -> String {
    hash_of(&survey.canonical_json())
}

fn hash_of(canonical_json: &str) -> String {
    hex::encode(Sha256::digest(canonical_json.as_bytes()))
}

/// Databases keep microseconds; rounding here makes what we return equal what we read back.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A survey's key among PostgreSQL's advisory locks: the first 8 bytes of its id.
fn advisory_key(id: Uuid) -> i64 {
    id.as_u64_pair().0 as i64
}

/// Whether a write failed because another writer took one of its survey ids first.
fn raced(err: &StorageError) -> bool {
    matches!(err, StorageError::Database(err)
        if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))))
}

impl Storage {
    /// Stores one survey unless its id is already taken.
    pub async fn create_survey(
        &self,
        new: &ValidatedSurvey,
        actor: &Actor,
    ) -> Result<CreateOutcome, StorageError> {
        let mut outcomes = self
            .create_surveys(std::slice::from_ref(new), actor)
            .await?;
        outcomes.pop().ok_or_else(|| {
            StorageError::Corrupt(new.survey().id.to_string(), "no outcome".to_owned())
        })
    }

    /// Stores many surveys in one transaction and commits once: one disk sync for the
    /// whole batch instead of one per survey. Outcomes are in the order of `items`; an
    /// id given twice is stored once, its repeat answered as a duplicate or a conflict
    /// of the first.
    ///
    /// The common case costs a few statements per batch, not per survey: one look-up of
    /// every id, then one multi-row insert per table (`surveys`, `survey_versions`,
    /// `survey_facts`, `audit_log`) for the new ones, in the batch's order (the order
    /// listings and exports follow). What can be computed without the database (the
    /// canonical JSON and its hash) is computed before the writer lock is taken.
    ///
    /// On PostgreSQL the transaction first takes an advisory lock per survey id, in id
    /// order, for a single survey too: two batches sharing surveys in different orders
    /// (a phone re-batched its outbox and the retry reached another replica) then queue
    /// on the first id they share instead of each waiting for a row the other inserted,
    /// which PostgreSQL ends as a deadlock; and as every survey write holds its ids'
    /// locks, the look-up sees every row another replica could insert under them. A
    /// writer that does not take them (another version, a manual insert) can still win
    /// the unique key between look-up and insert: the transaction is then rolled back and
    /// the batch stored again item by item, each in a savepoint of its own (the path
    /// every batch took before); an item that loses again is resolved after the commit
    /// as a duplicate or a conflict. No savepoint is taken in the common case: on SQLite
    /// each one copies every page it changes to the statement journal.
    pub async fn create_surveys(
        &self,
        items: &[ValidatedSurvey],
        actor: &Actor,
    ) -> Result<Vec<CreateOutcome>, StorageError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let prepared: Vec<Prepared> = items.iter().map(Prepared::of).collect();
        let outcomes = match self.store_new(&prepared, actor, false).await? {
            Some(outcomes) => outcomes,
            None => {
                tracing::info!(
                    surveys = prepared.len(),
                    "another writer stored an id of this batch after it was looked up; \
                     storing the batch item by item"
                );
                self.store_new(&prepared, actor, true)
                    .await?
                    .ok_or_else(|| StorageError::Corrupt("batch".to_owned(), "raced".to_owned()))?
            }
        };
        let mut resolved = Vec::with_capacity(items.len());
        for (item, outcome) in prepared.iter().zip(outcomes) {
            resolved.push(match outcome {
                Some(outcome) => outcome,
                None => {
                    let row = find_row(&self.db, item.new.survey().id)
                        .await?
                        .ok_or_else(|| {
                            StorageError::Corrupt(item.id.clone(), "vanished".to_owned())
                        })?;
                    compare_with_existing(row, &item.hash)?
                }
            });
        }
        Ok(resolved)
    }

    /// One transaction storing `items`, committed. At once: `None`, with nothing
    /// stored, when another writer inserted one of the ids after the look-up. Item by
    /// item: each in a savepoint of its own; an item that loses such a race is left
    /// `None`, to be resolved after the commit.
    async fn store_new(
        &self,
        items: &[Prepared<'_>],
        actor: &Actor,
        item_by_item: bool,
    ) -> Result<Option<Vec<Option<CreateOutcome>>>, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        lock_survey_ids(&txn, items).await?;
        let coefficients = self.coefficient_table_for_write(&txn).await?;
        let write = Write {
            regions: &self.regions,
            coefficients: &coefficients,
            actor,
            at: now(),
        };
        let outcomes = if item_by_item {
            let mut outcomes = Vec::with_capacity(items.len());
            for item in items {
                outcomes.push(write.attempt(&txn, item).await?);
            }
            outcomes
        } else {
            match write.store(&txn, items).await {
                Ok(outcomes) => outcomes.into_iter().map(Some).collect(),
                Err(err) if raced(&err) => {
                    txn.rollback().await?;
                    return Ok(None);
                }
                Err(err) => return Err(err),
            }
        };
        txn.commit().await?;
        Ok(Some(outcomes))
    }

    /// The current version of a survey.
    pub async fn get_survey(&self, id: Uuid) -> Result<Option<StoredSurvey>, StorageError> {
        find_row(&self.db, id)
            .await?
            .map(stored_from_row)
            .transpose()
    }

    /// Stores a correction as a new version, unless someone else's came first. A
    /// correction puts the survey back in the reviewers' queue, in the state
    /// `ReviewState::after_correction` names (a rejected survey stays out of the figures
    /// until a reviewer has looked at its correction); the last decision, its comments
    /// and the version it was made on are kept for the reviewer to compare.
    pub async fn correct_survey(
        &self,
        correction: &Correction,
        actor: &Actor,
    ) -> Result<CorrectOutcome, StorageError> {
        let corrected = correction.survey.survey();
        let id = corrected.id;
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let coefficients = self.coefficient_table_for_write(&txn).await?;
        let Some(row) = find_row(&txn, id).await? else {
            return Ok(CorrectOutcome::NotFound);
        };
        if row.version != correction.base_version {
            return Ok(CorrectOutcome::Stale(stored_from_row(row)?));
        }
        let hash = content_hash(corrected);
        if hash == row.content_hash {
            return Ok(CorrectOutcome::Unchanged(stored_from_row(row)?));
        }
        let survey = corrected;
        let (prefecture, province) = ancestors(&self.regions, &survey.county_code);
        let (prefecture_code, province_code) = (prefecture.clone(), province.clone());
        let next_version = row.version + 1;
        let before = stored_from_row(row.clone())?;
        let review_state = before.review.state.after_correction();
        let at = now();
        let payload = survey.canonical_json();
        let warnings = warnings_json(correction.survey.warnings());
        // The version condition makes this safe across server processes: of two
        // corrections from the same base, exactly one updates a row.
        let updated = surveys::Entity::update_many()
            .set(content_row(
                survey,
                (prefecture, province),
                payload.clone(),
                hash.clone(),
                correction.survey.warnings(),
            ))
            .col_expr(surveys::Column::Version, Expr::value(next_version))
            .col_expr(surveys::Column::UpdatedAt, Expr::value(at))
            .col_expr(surveys::Column::UpdatedBy, Expr::value(actor.name.clone()))
            .col_expr(
                surveys::Column::ReviewState,
                Expr::value(review_state.key()),
            )
            .filter(surveys::Column::Id.eq(id.to_string()))
            .filter(surveys::Column::Version.eq(correction.base_version))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(match self.get_survey(id).await? {
                Some(current) => CorrectOutcome::Stale(current),
                None => CorrectOutcome::NotFound,
            });
        }
        survey_versions::Entity::insert(version_row(
            &id.to_string(),
            next_version,
            payload,
            hash,
            warnings,
            "corrected",
            &actor.name,
            at,
            correction.note.clone(),
        ))
        .exec_without_returning(&txn)
        .await?;
        let facts = FactsRow::of(
            survey,
            correction.survey.warnings().len(),
            review_state,
            &prefecture_code,
            &province_code,
            &coefficients.resolve(&self.regions, &survey.county_code, survey.year()),
        );
        facts::replace_facts(&txn, vec![facts])
            .await?
            .apply(&txn)
            .await?;
        let after = StoredSurvey {
            survey: survey.clone(),
            version: next_version,
            warnings: correction.survey.warnings().to_vec(),
            created_at: before.created_at,
            created_by: before.created_by.clone(),
            updated_at: at,
            updated_by: actor.name.clone(),
            review: Review {
                state: review_state,
                ..before.review.clone()
            },
        };
        let change = Change {
            action: "survey.correct",
            entity_type: "survey",
            entity_id: id.to_string(),
            before: Some(audit_json(&before)),
            after: Some(
                serde_json::json!({ "note": correction.note, "survey": audit_json(&after) }),
            ),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(CorrectOutcome::Corrected(after))
    }

    /// Surveys matching `filter` in insertion order (or its reverse), starting after
    /// `after` in that order.
    ///
    /// Keyset pagination on the immutable insertion sequence: a page costs the same at
    /// any depth, and rows added or corrected while a client pages neither shift nor
    /// repeat the rows it has yet to see.
    pub async fn list_surveys(
        &self,
        filter: &SurveyFilter,
        after: Option<i64>,
        limit: u64,
    ) -> Result<SurveyPage, StorageError> {
        let mut query = apply_filter(surveys::Entity::find(), filter);
        query = match (after, filter.newest_first) {
            (Some(after), false) => query.filter(surveys::Column::Seq.gt(after)),
            (Some(after), true) => query.filter(surveys::Column::Seq.lt(after)),
            (None, _) => query,
        };
        query = if filter.newest_first {
            query.order_by_desc(surveys::Column::Seq)
        } else {
            query.order_by_asc(surveys::Column::Seq)
        };
        let mut rows = query.limit(limit + 1).all(&self.db).await?;
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_after = if has_more {
            rows.last().map(|r| r.seq)
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(stored_from_row)
            .collect::<Result<_, _>>()?;
        Ok(SurveyPage { items, next_after })
    }

    /// Every version of a survey, oldest first; `None` when there is no such survey.
    pub async fn survey_history(
        &self,
        id: Uuid,
    ) -> Result<Option<Vec<SurveyVersion>>, StorageError> {
        let rows = survey_versions::Entity::find()
            .filter(survey_versions::Column::SurveyId.eq(id.to_string()))
            .order_by_asc(survey_versions::Column::Version)
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        rows.into_iter()
            .map(|row| {
                Ok(SurveyVersion {
                    version: row.version,
                    survey: decode_survey(&row.survey_id, &row.payload)?,
                    warnings: decode_warnings(&row.survey_id, &row.warnings)?,
                    change_kind: row.change_kind,
                    changed_by: row.changed_by,
                    changed_at: row.changed_at,
                    note: row.note,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()
            .map(Some)
    }

    /// Sets the review state of one survey. With `base_version`, only if the survey is
    /// still at that version: a reviewer decides on the content they saw, not on a
    /// correction stored meanwhile (checked inside the write's transaction).
    pub async fn review_survey(
        &self,
        id: Uuid,
        decision: &Decision,
        base_version: Option<i32>,
        actor: &Actor,
    ) -> Result<ReviewOutcome, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let Some(row) = find_row(&txn, id).await? else {
            return Ok(ReviewOutcome::NotFound);
        };
        let before = stored_from_row(row)?;
        if base_version.is_some_and(|v| v != before.version) {
            return Ok(ReviewOutcome::Stale(before));
        }
        let at = now();
        let review = Review {
            reviewed_version: Some(before.version),
            ..Review::decided(decision, actor, at)
        };
        set_review(&txn, &[id.to_string()], &review).await?;
        let change = Change {
            action: "survey.review",
            entity_type: "survey",
            entity_id: id.to_string(),
            before: Some(before.review.audit_json()),
            after: Some(review.audit_json()),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(ReviewOutcome::Reviewed(StoredSurvey { review, ..before }))
    }

    /// Sets the review state of every survey matching `filter` (which includes the
    /// reviewer's scope), in one transaction; each change is audited. Returns how many
    /// surveys changed state.
    pub async fn bulk_review(
        &self,
        filter: &SurveyFilter,
        decision: &Decision,
        actor: &Actor,
    ) -> Result<u64, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let at = now();
        let review = Review::decided(decision, actor, at);
        let state = decision.state;
        let mut changed = 0u64;
        let mut after_seq: Option<i64> = None;
        loop {
            let mut query = apply_filter(surveys::Entity::find(), filter)
                .filter(surveys::Column::ReviewState.ne(state.key()))
                .order_by_asc(surveys::Column::Seq)
                .limit(500);
            if let Some(seq) = after_seq {
                query = query.filter(surveys::Column::Seq.gt(seq));
            }
            let rows = query.all(&txn).await?;
            let Some(last) = rows.last() else { break };
            after_seq = Some(last.seq);
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            set_review(&txn, &ids, &review).await?;
            for row in rows {
                let before = stored_from_row(row)?;
                let change = Change {
                    action: "survey.review",
                    entity_type: "survey",
                    entity_id: before.survey.id.to_string(),
                    before: Some(before.review.audit_json()),
                    after: Some(serde_json::json!({ "bulk": true, "review": Review {
                        reviewed_version: Some(before.version),
                        ..review.clone()
                    }.audit_json() })),
                };
                append(&txn, actor, change, at).await?;
                changed += 1;
            }
        }
        txn.commit().await?;
        Ok(changed)
    }

    /// How many surveys are stored.
    pub async fn count_surveys(&self) -> Result<u64, StorageError> {
        use sea_orm::PaginatorTrait;
        Ok(surveys::Entity::find().count(&self.db).await?)
    }

    /// How many surveys match `filter` (its order aside): one `COUNT` over the columns
    /// a listing filters on.
    pub async fn count_matching(&self, filter: &SurveyFilter) -> Result<u64, StorageError> {
        use sea_orm::PaginatorTrait;
        Ok(apply_filter(surveys::Entity::find(), filter)
            .count(&self.db)
            .await?)
    }

    /// The survey years present within `scope`, oldest first.
    pub async fn survey_years(&self, scope: &SurveyScope) -> Result<Vec<i32>, StorageError> {
        let filter = SurveyFilter {
            scope: scope.clone(),
            ..SurveyFilter::default()
        };
        Ok(apply_filter(surveys::Entity::find(), &filter)
            .select_only()
            .column(surveys::Column::SurveyYear)
            .distinct()
            .order_by_asc(surveys::Column::SurveyYear)
            .into_tuple::<i32>()
            .all(&self.db)
            .await?)
    }
}

async fn set_review(
    conn: &impl ConnectionTrait,
    ids: &[String],
    review: &Review,
) -> Result<(), DbErr> {
    surveys::Entity::update_many()
        .col_expr(
            surveys::Column::ReviewState,
            Expr::value(review.state.key()),
        )
        .col_expr(
            surveys::Column::ReviewComment,
            Expr::value(review.comment.clone()),
        )
        .col_expr(
            surveys::Column::ReviewedBy,
            Expr::value(review.reviewed_by.clone()),
        )
        .col_expr(surveys::Column::ReviewedAt, Expr::value(review.reviewed_at))
        // Each row's own version: the decision is on the content the row holds inside
        // this transaction.
        .col_expr(
            surveys::Column::ReviewedVersion,
            Expr::col(surveys::Column::Version),
        )
        .col_expr(
            surveys::Column::ReviewFieldComments,
            Expr::value(field_comments_json(&review.field_comments)),
        )
        .filter(surveys::Column::Id.is_in(ids.to_vec()))
        .exec(conn)
        .await?;
    facts::set_review_state(conn, ids, review.state).await
}

async fn find_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<surveys::Model>, DbErr> {
    surveys::Entity::find()
        .filter(surveys::Column::Id.eq(id.to_string()))
        .one(conn)
        .await
}

fn ancestors(regions: &RegionTable, county_code: &str) -> (String, String) {
    let at = |level| {
        regions
            .ancestor_at(county_code, level)
            .map(|r| r.code.clone())
            .unwrap_or_default()
    };
    (at(RegionLevel::Prefecture), at(RegionLevel::Province))
}

/// A survey to store with what is computed from it before its transaction.
struct Prepared<'a> {
    new: &'a ValidatedSurvey,
    /// The id as stored.
    id: String,
    /// The canonical JSON, stored as the payload.
    payload: String,
    /// SHA-256 of the payload: decides duplicate or conflict.
    hash: String,
}

impl Prepared<'_> {
    fn of(new: &ValidatedSurvey) -> Prepared<'_> {
        let payload = new.survey().canonical_json();
        Prepared {
            new,
            id: new.survey().id.to_string(),
            hash: hash_of(&payload),
            payload,
        }
    }
}

/// Takes the advisory lock of every survey id in `items` (PostgreSQL only; see
/// [`Storage::create_surveys`]).
async fn lock_survey_ids(conn: &impl ConnectionTrait, items: &[Prepared<'_>]) -> Result<(), DbErr> {
    lock_advisory_keys(conn, items.iter().map(|i| advisory_key(i.new.survey().id))).await
}

/// The stored rows of those of `ids` that exist, by id.
async fn find_rows(
    conn: &impl ConnectionTrait,
    ids: Vec<String>,
) -> Result<HashMap<String, surveys::Model>, DbErr> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(rows_per_statement(1)) {
        let rows = surveys::Entity::find()
            .filter(surveys::Column::Id.is_in(chunk.to_vec()))
            .all(conn)
            .await?;
        found.extend(rows.into_iter().map(|row| (row.id.clone(), row)));
    }
    Ok(found)
}

/// What every survey of one `create_surveys` call is stored with.
struct Write<'a> {
    regions: &'a RegionTable,
    coefficients: &'a CoefficientTable,
    actor: &'a Actor,
    at: DateTime<Utc>,
}

impl Write<'_> {
    /// Stores one item in a savepoint of `txn`; `None`, with the savepoint rolled back,
    /// when another writer inserted its id after the look-up.
    async fn attempt(
        &self,
        txn: &DatabaseTransaction,
        item: &Prepared<'_>,
    ) -> Result<Option<CreateOutcome>, StorageError> {
        let savepoint = txn.begin().await?;
        match self.store(&savepoint, std::slice::from_ref(item)).await {
            Ok(mut outcomes) => {
                savepoint.commit().await?;
                Ok(outcomes.pop())
            }
            Err(err) if raced(&err) => {
                savepoint.rollback().await?;
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// Looks every id up, decides each item's outcome in order, and inserts the new
    /// surveys' rows with one multi-row statement per table.
    async fn store(
        &self,
        conn: &impl ConnectionTrait,
        items: &[Prepared<'_>],
    ) -> Result<Vec<CreateOutcome>, StorageError> {
        let existing = find_rows(conn, items.iter().map(|i| i.id.clone()).collect()).await?;
        let mut outcomes = Vec::with_capacity(items.len());
        // What this call creates, by id: a repeat meets it as a stored survey.
        let mut created: HashMap<&str, (&str, StoredSurvey)> = HashMap::new();
        let (mut survey_rows, mut version_rows, mut fact_rows, mut changes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for item in items {
            let outcome = if let Some(row) = existing.get(&item.id) {
                compare_with_existing(row.clone(), &item.hash)?
            } else if let Some((hash, stored)) = created.get(item.id.as_str()) {
                retry_outcome(*hash == item.hash, stored.clone())
            } else {
                let stored = self.stored(item);
                let (prefecture, province) =
                    ancestors(self.regions, &item.new.survey().county_code);
                fact_rows.push(self.facts(item, &prefecture, &province));
                survey_rows.push(self.survey_row(item, prefecture, province));
                version_rows.push(version_row(
                    &item.id,
                    1,
                    item.payload.clone(),
                    item.hash.clone(),
                    warnings_json(item.new.warnings()),
                    "created",
                    &self.actor.name,
                    self.at,
                    None,
                ));
                changes.push(Change {
                    action: "survey.create",
                    entity_type: "survey",
                    entity_id: item.id.clone(),
                    before: None,
                    after: Some(audit_json(&stored)),
                });
                created.insert(&item.id, (&item.hash, stored.clone()));
                CreateOutcome::Created(stored)
            };
            outcomes.push(outcome);
        }
        // `surveys` first: the other tables refer to it.
        insert_all(conn, survey_rows).await?;
        insert_all(conn, version_rows).await?;
        facts::insert_facts(conn, fact_rows).await?;
        append_all(conn, self.actor, changes, self.at).await?;
        Ok(outcomes)
    }

    /// A new survey as it is stored: version 1, received.
    fn stored(&self, item: &Prepared<'_>) -> StoredSurvey {
        StoredSurvey {
            survey: item.new.survey().clone(),
            version: 1,
            warnings: item.new.warnings().to_vec(),
            created_at: self.at,
            created_by: self.actor.name.clone(),
            updated_at: self.at,
            updated_by: self.actor.name.clone(),
            review: Review::received(),
        }
    }

    fn facts(&self, item: &Prepared<'_>, prefecture: &str, province: &str) -> FactsRow {
        let survey = item.new.survey();
        FactsRow::of(
            survey,
            item.new.warnings().len(),
            ReviewState::Received,
            prefecture,
            province,
            &self
                .coefficients
                .resolve(self.regions, &survey.county_code, survey.year()),
        )
    }

    fn survey_row(
        &self,
        item: &Prepared<'_>,
        prefecture: String,
        province: String,
    ) -> surveys::ActiveModel {
        surveys::ActiveModel {
            id: Set(item.id.clone()),
            created_hash: Set(item.hash.clone()),
            version: Set(1),
            created_at: Set(self.at),
            created_by: Set(self.actor.name.clone()),
            updated_at: Set(self.at),
            updated_by: Set(self.actor.name.clone()),
            review_state: Set(ReviewState::Received.key().to_owned()),
            ..content_row(
                item.new.survey(),
                (prefecture, province),
                item.payload.clone(),
                item.hash.clone(),
                item.new.warnings(),
            )
        }
    }
}

/// The columns of a `surveys` row that its content decides: what a new survey is stored
/// with and a correction replaces, mapped in this one place.
fn content_row(
    survey: &Survey,
    (prefecture, province): (String, String),
    payload: String,
    hash: String,
    warnings: &[Issue],
) -> surveys::ActiveModel {
    surveys::ActiveModel {
        county_code: Set(survey.county_code.clone()),
        prefecture_code: Set(prefecture),
        province_code: Set(province),
        township: Set(survey.township.clone()),
        village: Set(survey.village.clone()),
        household: Set(survey.household.clone()),
        technician: Set(survey.technician.clone()),
        surveyed_on: Set(survey.surveyed_on),
        survey_year: Set(survey.year()),
        weight: Set(survey.weight),
        lat: Set(survey.location.map(|p| p.lat)),
        lon: Set(survey.location.map(|p| p.lon)),
        payload: Set(payload),
        content_hash: Set(hash),
        warnings: Set(warnings_json(warnings)),
        warning_count: Set(warnings.len() as i32),
        ..Default::default()
    }
}

/// One row of `survey_versions`.
#[expect(
    clippy::too_many_arguments,
    reason = "one column each; a struct would only rename them"
)]
fn version_row(
    id: &str,
    version: i32,
    payload: String,
    hash: String,
    warnings: String,
    kind: &str,
    actor: &str,
    at: DateTime<Utc>,
    note: Option<String>,
) -> survey_versions::ActiveModel {
    survey_versions::ActiveModel {
        survey_id: Set(id.to_owned()),
        version: Set(version),
        payload: Set(payload),
        content_hash: Set(hash),
        warnings: Set(warnings),
        change_kind: Set(kind.to_owned()),
        changed_by: Set(actor.to_owned()),
        changed_at: Set(at),
        note: Set(note),
    }
}

/// A retry carries the content of the original submission (or of the current version,
/// when the phone re-sends what it last saw): either is a duplicate; anything else is a
/// conflict.
fn compare_with_existing(
    row: surveys::Model,
    incoming_hash: &str,
) -> Result<CreateOutcome, StorageError> {
    let same = row.created_hash == incoming_hash || row.content_hash == incoming_hash;
    Ok(retry_outcome(same, stored_from_row(row)?))
}

/// A stored survey met again: with the same content, a duplicate; otherwise a conflict.
fn retry_outcome(same: bool, stored: StoredSurvey) -> CreateOutcome {
    if same {
        CreateOutcome::Duplicate(stored)
    } else {
        CreateOutcome::Conflict(stored)
    }
}

/// Field comments as stored: `NULL` when there are none.
fn field_comments_json(comments: &[FieldComment]) -> Option<String> {
    if comments.is_empty() {
        None
    } else {
        serde_json::to_string(comments).ok()
    }
}

fn warnings_json(warnings: &[Issue]) -> String {
    serde_json::to_string(warnings).unwrap_or_else(|_| "[]".to_owned())
}

fn decode_survey(id: &str, payload: &str) -> Result<Survey, StorageError> {
    serde_json::from_str(payload)
        .map_err(|e| StorageError::Corrupt(format!("survey {id}"), e.to_string()))
}

fn decode_warnings(id: &str, warnings: &str) -> Result<Vec<Issue>, StorageError> {
    serde_json::from_str(warnings)
        .map_err(|e| StorageError::Corrupt(format!("warnings of {id}"), e.to_string()))
}

/// The audit form of a stored survey: its content, version and review.
fn audit_json(stored: &StoredSurvey) -> serde_json::Value {
    serde_json::json!({
        "version": stored.version,
        "survey": stored.survey,
        "review": stored.review.audit_json(),
    })
}

fn apply_filter(
    mut query: Select<surveys::Entity>,
    filter: &SurveyFilter,
) -> Select<surveys::Entity> {
    let region_column = |level| match level {
        RegionLevel::County => surveys::Column::CountyCode,
        RegionLevel::Prefecture => surveys::Column::PrefectureCode,
        RegionLevel::Province => surveys::Column::ProvinceCode,
    };
    for (code, level) in [&filter.scope.region, &filter.region].into_iter().flatten() {
        query = query.filter(region_column(*level).eq(code.clone()));
    }
    if let Some(counties) = &filter.scope.counties {
        query = query.filter(surveys::Column::CountyCode.is_in(counties.clone()));
    }
    for technician in [&filter.scope.technician, &filter.technician]
        .into_iter()
        .flatten()
    {
        query = query.filter(surveys::Column::Technician.eq(technician.clone()));
    }
    if let Some(year) = filter.year {
        query = query.filter(surveys::Column::SurveyYear.eq(year));
    }
    if let Some(state) = filter.review_state {
        query = query.filter(surveys::Column::ReviewState.eq(state.key()));
    }
    if let Some(since) = filter.modified_since {
        query = query.filter(surveys::Column::UpdatedAt.gte(since));
    }
    let corrected_states = ReviewState::ALL
        .into_iter()
        .filter(|s| s.is_corrected_after_review())
        .map(ReviewState::key);
    match filter.corrected_after_review {
        Some(true) => query = query.filter(surveys::Column::ReviewState.is_in(corrected_states)),
        Some(false) => {
            query = query.filter(surveys::Column::ReviewState.is_not_in(corrected_states))
        }
        None => {}
    }
    match filter.has_warnings {
        Some(true) => query = query.filter(surveys::Column::WarningCount.gt(0)),
        Some(false) => query = query.filter(surveys::Column::WarningCount.eq(0)),
        None => {}
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(surveys::Column::Id.is_in(ids.iter().map(Uuid::to_string)));
    }
    query
}

fn stored_from_row(row: surveys::Model) -> Result<StoredSurvey, StorageError> {
    let state = ReviewState::from_key(&row.review_state).ok_or_else(|| {
        StorageError::Corrupt(
            format!("review state of {}", row.id),
            row.review_state.clone(),
        )
    })?;
    Ok(StoredSurvey {
        review: Review {
            state,
            comment: row.review_comment,
            reviewed_by: row.reviewed_by,
            reviewed_at: row.reviewed_at,
            reviewed_version: row.reviewed_version,
            field_comments: match &row.review_field_comments {
                Some(json) => serde_json::from_str(json).map_err(|e| {
                    StorageError::Corrupt(format!("field comments of {}", row.id), e.to_string())
                })?,
                None => Vec::new(),
            },
        },
        survey: decode_survey(&row.id, &row.payload)?,
        warnings: decode_warnings(&row.id, &row.warnings)?,
        version: row.version,
        created_at: row.created_at,
        created_by: row.created_by,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
    })
}
