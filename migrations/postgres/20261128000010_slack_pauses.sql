-- A 429 from Slack pauses that method (for chat.postMessage, that channel)
-- until Retry-After has passed, for every row and every replica: each
-- replica's outbox worker reads the pauses still running before it calls Slack.
create table slack_pauses (
    workspace_id      text not null,
    method            text not null,             -- e.g. chat.postMessage
    scope             text not null,             -- the channel for chat.postMessage, else ''
    until_ms          bigint not null,
    primary key (workspace_id, method, scope)
);
