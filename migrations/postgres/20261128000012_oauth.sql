-- OAuth installs (SPEC section 2). One bot token per workspace, sealed with
-- HIGHLIGHTS_TOKEN_KEY (ChaCha20-Poly1305, the workspace id as associated
-- data): the database never holds a usable token on its own.
create table installations (
    workspace_id    text primary key references workspaces (id) on delete cascade,
    -- `v1.<key id>.<base64 nonce and ciphertext>`
    bot_token       text not null,
    bot_user_id     text,
    scope           text not null,
    installed_by    text,
    enterprise_id   text,
    created_at      bigint not null,
    updated_at      bigint not null
);

-- A started install: single use, expires after 10 minutes, bound to the
-- browser by a cookie that holds a value whose SHA-256 is `browser`.
create table oauth_states (
    state           text primary key,
    browser         text not null,
    created_at      bigint not null
);
create index oauth_states_created on oauth_states (created_at);
