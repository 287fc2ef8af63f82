-- A digest or approval DM that Slack refused (issue 28): the period is kept
-- but marked refused, so the next digest covers its highlights again, and an
-- approval gets its own status, so it neither waits nor expires. Who set the
-- digest up last is kept, to be told when nobody approves digests.
alter table digests add column refused_at integer;
alter table workspaces add column digest_set_by text;

-- SQLite cannot change a check constraint: the table is made again.
create table digest_approvals_new (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    period_key        text not null,             -- the digest claim's key (one approval per period)
    approver          text not null,
    from_ms           integer not null,
    until_ms          integer not null,
    label             text not null,
    removed_areas     text not null default '',  -- area ids left out, comma-separated
    status            text not null default 'pending'
                      check (status in ('pending', 'approved', 'skipped', 'expired', 'refused')),
    decided_by        text,
    expires_at        integer not null,
    created_at        integer not null,
    decided_at        integer,
    constraint digest_approvals_once unique (workspace_id, period_key)
);
insert into digest_approvals_new
    (id, workspace_id, period_key, approver, from_ms, until_ms, label, removed_areas, status, decided_by,
     expires_at, created_at, decided_at)
select id, workspace_id, period_key, approver, from_ms, until_ms, label, removed_areas, status, decided_by,
       expires_at, created_at, decided_at
from digest_approvals;
drop table digest_approvals;
alter table digest_approvals_new rename to digest_approvals;
create index digest_approvals_pending on digest_approvals (status, expires_at);
