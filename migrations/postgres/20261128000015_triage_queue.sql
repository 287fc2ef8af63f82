-- Triage by reaction (SPEC 3.6): a reaction with the workspace's triage emoji
-- queues a message for the person who reacted; the App Home lists their queue
-- and each item leaves it once triaged (the feedback item counts then, once).
create table triage_queue (
    id                bigint generated always as identity primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    user_id           text not null,
    channel_id        text not null,
    message_ts        text not null,
    message_text      text,                      -- read from Slack after queueing; null until then
    queued_at         bigint not null,
    triaged_at        bigint,
    constraint triage_queue_once unique (workspace_id, user_id, channel_id, message_ts)
);
create index triage_queue_open on triage_queue (workspace_id, user_id, triaged_at, queued_at);

-- `config triage-emoji <name>`: null is :inbox_tray:.
alter table workspaces add column triage_emoji text;
