-- Customer attributes for weighting (imported from CSV), the permalink of each
-- customer's thread, and full-text search over highlights (a generated
-- tsvector with a GIN index).

alter table customers add column segment text;
alter table customers add column arr_cents bigint;
alter table customers add column thread_permalink text;

create index highlights_by_interview on highlights (workspace_id, interview_id);

alter table highlights add column search tsvector generated always as (
    to_tsvector('english', quote || ' ' || coalesce(takeaway, ''))
) stored;

create index highlights_search on highlights using gin (search);
