-- Digests: each workspace's schedule and time zone, and one row per period
-- taken before posting, so a period is posted at most once whatever restarts
-- or replicas happen.

alter table workspaces add column digest_schedule text not null default 'weekly mon 09:00';
alter table workspaces add column time_zone text;   -- IANA name; null: not known yet (UTC)

create table digests (
    workspace_id      text not null references workspaces (id) on delete cascade,
    period_key        text not null,              -- the period's end, e.g. 2026-11-30T09:00 Europe/Paris
    period_start      integer not null,           -- unix ms
    period_end        integer not null,
    highlights        integer not null,           -- 0: an empty period, nothing posted
    created_at        integer not null,
    primary key (workspace_id, period_key)
);

create index highlights_by_author on highlights (workspace_id, author, created_at);
