-- Retention of recording links (design.md, Behaviour: Privacy): links (and
-- their times) older than this many days are removed once a day; null: kept.
alter table workspaces add column recording_retention_days bigint;
-- When the last daily pass ran (unix ms).
alter table workspaces add column retention_applied_at bigint;
