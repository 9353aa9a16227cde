// The technician's own surveys as the server holds them, with their review state: what a
// reviewer returned (需修改, 已退回) with the comment and the comments on fields, what was
// approved (已通过) and what waits for a reviewer (待审核). Read with listSurveys after
// every sync (a technician's listing holds their own surveys only) and kept in
// localStorage per account, so the list and its comments are there offline too.

import { request } from "../shared/api.js";

const KEY_PREFIX = "agriwaste.collect.mine.";
/** The newest surveys the phone keeps: a season's work, one request on a weak signal. */
const LIMIT = 200;

/**
 * What the phone shows for each review state: the four words a technician reads. A
 * survey corrected after review waits for a reviewer again, like a new one.
 */
export const PHONE_STATE = {
  received: "awaiting",
  edited: "awaiting",
  corrected: "awaiting",
  resubmitted: "awaiting",
  approved: "approved",
  has_issues: "to_fix",
  rejected: "returned",
};

/** Whether the technician has to act on the survey: a reviewer returned it. */
export const needsAction = (item) => item.review.state === "has_issues" || item.review.state === "rejected";

/** `{ at, items }` as last fetched for `username`, or null before the first fetch. */
export function cached(username) {
  try {
    return JSON.parse(localStorage.getItem(KEY_PREFIX + username) ?? "null");
  } catch {
    return null;
  }
}

/** One cached survey by id. */
export function find(username, id) {
  return cached(username)?.items.find((item) => item.survey.id === id) ?? null;
}

/**
 * Fetches the technician's surveys, newest first, and keeps them for offline use.
 * Rejects as `request` does (offline: TypeError); the cache is then left as it was.
 */
export async function refresh(token, username) {
  // `technician` too: an admin filling in the form sees their own surveys, not the region's.
  const query = new URLSearchParams({ order: "newest", limit: String(LIMIT), technician: username });
  const page = await request(`/api/v1/surveys?${query}`, { token });
  const items = page.items.map(({ survey, version, etag, review, updated_at }) => ({ survey, version, etag, review, updated_at }));
  const kept = { at: new Date().toISOString(), items };
  localStorage.setItem(KEY_PREFIX + username, JSON.stringify(kept));
  return kept;
}

/**
 * The review's comments as issues at their fields (the general one at the top), for the
 * form's `showIssues`; each says it is the reviewer's.
 */
export function reviewIssues(review) {
  const issue = (path, comment) => ({
    path, severity: "review", code: "reviewer_comment", message_zh: `审核意见:${comment}`, message_en: `Reviewer: ${comment}`,
  });
  const issues = (review.field_comments ?? []).map((c) => issue(c.path, c.comment));
  if (review.comment) issues.unshift(issue("", review.comment));
  return issues;
}
