-- The evidence library in the browser (design.md, The evidence library):
-- one-time sign-in links and sessions, each for one person of one workspace.
-- Only the SHA-256 of a link's or a session's token is stored: the database
-- alone never lets anyone in.
create table web_login_links (
    token_hash        text primary key,          -- hex SHA-256 of the token in the link
    workspace_id      text not null references workspaces (id) on delete cascade,
    user_id           text not null,             -- Slack user id of who asked for it
    created_at        bigint not null            -- a link is good for 10 minutes, once
);
create index web_login_links_created on web_login_links (created_at);

create table web_sessions (
    token_hash        text primary key,          -- hex SHA-256 of the token in the cookie
    workspace_id      text not null references workspaces (id) on delete cascade,
    user_id           text not null,
    created_at        bigint not null,
    expires_at        bigint not null            -- renewed by use
);
-- Ending a workspace's sessions when it uninstalls.
create index web_sessions_by_workspace on web_sessions (workspace_id);
