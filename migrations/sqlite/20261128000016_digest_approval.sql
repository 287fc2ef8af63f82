-- Digest approval (SPEC 3.6): `config digest approver @user|off`. With an
-- approver, a scheduled digest is first DMed to them; it reaches the channel
-- once approved, never when skipped, and is skipped (the approver told) when
-- nobody answers before `expires_at`.
alter table workspaces add column digest_approver text;

create table digest_approvals (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    period_key        text not null,             -- the digest claim's key (one approval per period)
    approver          text not null,
    from_ms           integer not null,
    until_ms          integer not null,
    label             text not null,
    removed_areas     text not null default '',  -- area ids left out, comma-separated
    status            text not null default 'pending' check (status in ('pending', 'approved', 'skipped', 'expired')),
    decided_by        text,
    expires_at        integer not null,
    created_at        integer not null,
    decided_at        integer,
    constraint digest_approvals_once unique (workspace_id, period_key)
);
create index digest_approvals_pending on digest_approvals (status, expires_at);
