-- Endorsement (SPEC 3.6): a manager vouches for a highlight, by reacting with
-- :white_check_mark: on its thread reply or with its Endorse button. The
-- reply is found again by where it was posted.
alter table highlights add column endorsed_by text;
alter table highlights add column endorsed_at bigint;
create index highlights_by_post on highlights (workspace_id, posted_channel, posted_ts);

-- `config report endorsed-only on|off`: 1 when a report counts endorsed quotes only.
alter table workspaces add column report_endorsed_only integer not null default 0;
