-- The outbox's status check, written as comparisons. SQLite checks
-- `status in ('pending', 'done', 'failed')` by building a temporary b-tree
-- of the three values for every row it writes (a list of more than two
-- constants, in a check, is not built once per statement): four of them
-- for a lone capture (its post, its notice, its two follow-ups), a fifth of
-- what SQLite's writer did for it, and one for every row a claim or a
-- recorder updates. Comparisons build none. SQLite cannot change a check in
-- place: the table is rebuilt with its rows (ids kept) and its index.
create table outbox_checked (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    kind              text not null,             -- e.g. post_highlight, update_thread_parent
    dedupe_key        text not null,
    payload           text not null,             -- JSON
    status            text not null default 'pending'
                      check (status = 'pending' or status = 'done' or status = 'failed'),
    attempts          integer not null default 0,
    run_after         integer not null,          -- not before this time
    locked_until      integer,                   -- a worker holds the row until then
    claim_token       text,                      -- which claim holds it
    last_error        text,
    created_at        integer not null,
    updated_at        integer not null,
    uncertain         integer not null default 0,
    wakes             integer not null default 0,
    constraint outbox_dedupe_unique unique (workspace_id, dedupe_key)
);
insert into outbox_checked
    (id, workspace_id, kind, dedupe_key, payload, status, attempts, run_after, locked_until, claim_token,
     last_error, created_at, updated_at, uncertain, wakes)
select id, workspace_id, kind, dedupe_key, payload, status, attempts, run_after, locked_until, claim_token,
       last_error, created_at, updated_at, uncertain, wakes
from outbox;
drop table outbox;
alter table outbox_checked rename to outbox;
create index outbox_due on outbox (status, run_after, id);
