-- Keeps this folder's versions in step with SQLite's, where this version sets
-- how full-text search merges its index (FTS5's `automerge`). PostgreSQL's
-- search index (GIN) has no such setting to change: nothing to do here.
select 1;
