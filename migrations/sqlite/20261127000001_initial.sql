-- The initial schema: every table is scoped by workspace (a Slack team), and rows
-- that point at each other carry the workspace in the foreign key, so a row can
-- never reference another workspace's data. Times are unix milliseconds; dates
-- are ISO `YYYY-MM-DD` text, which sorts as dates do.

-- A Slack team that uses the app, with its settings.
create table workspaces (
    id                text primary key,          -- team_id, e.g. T0123ABCD
    name              text,
    product_channel   text,                      -- channel id; null: use HIGHLIGHTS_PRODUCT_CHANNEL
    created_at        integer not null,
    updated_at        integer not null
);

-- An account the team talks to. `key` is the normalized name (case, whitespace,
-- punctuation and legal suffixes folded); `merged_into` points at the survivor
-- after a merge.
create table customers (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    key               text not null,
    display_name      text not null,
    thread_channel    text,                      -- where the customer's thread lives
    thread_ts         text,                      -- ts of the thread's parent message
    thread_claim      text,                      -- a worker is posting the parent...
    thread_claim_until integer,                 -- ...until then
    merged_into       integer,
    created_at        integer not null,
    updated_at        integer not null,
    constraint customers_key_unique unique (workspace_id, key),
    constraint customers_scope_unique unique (workspace_id, id),
    foreign key (workspace_id, merged_into) references customers (workspace_id, id)
);

-- Other spellings that lead to a customer (normalized too).
create table customer_aliases (
    workspace_id      text not null,
    key               text not null,
    customer_id       integer not null,
    display_name      text not null,
    created_at        integer not null,
    primary key (workspace_id, key),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id) on delete cascade
);

-- The workspace's taxonomy of product areas; `key` is the lowercased name.
create table product_areas (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    key               text not null,
    name              text not null,
    created_at        integer not null,
    constraint product_areas_key_unique unique (workspace_id, key),
    constraint product_areas_scope_unique unique (workspace_id, id)
);

-- One conversation: an interviewer, a customer, a date. What counts toward a quota.
create table interviews (
    id                integer primary key,
    workspace_id      text not null,
    customer_id       integer not null,
    interviewer       text not null,             -- Slack user id
    interview_date    text not null,             -- YYYY-MM-DD
    recording_link    text,
    interviewee       text,                      -- name and role of the person interviewed
    created_at        integer not null,
    constraint interviews_one_per_day unique (workspace_id, interviewer, customer_id, interview_date),
    constraint interviews_scope_unique unique (workspace_id, id),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id)
);

-- The customer's own words, and where they were posted.
create table highlights (
    id                integer primary key,
    workspace_id      text not null,
    interview_id      integer not null,
    customer_id       integer not null,
    area_id           integer not null,
    kind              text not null check (kind in ('pain', 'request', 'praise', 'other')),
    quote             text not null,
    takeaway          text,
    recording_link    text,
    author            text not null,             -- Slack user id of whoever captured it
    created_at        integer not null,
    posted_channel    text,
    posted_ts         text,
    permalink         text,
    constraint highlights_scope_unique unique (workspace_id, id),
    foreign key (workspace_id, interview_id) references interviews (workspace_id, id),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id),
    foreign key (workspace_id, area_id) references product_areas (workspace_id, id)
);
create index highlights_by_customer on highlights (workspace_id, customer_id, created_at);
create index highlights_by_area on highlights (workspace_id, area_id, created_at);
create index highlights_by_time on highlights (workspace_id, created_at);

-- Slack calls to make, written in the same transaction as the change they
-- announce and worked off by the outbox worker. `dedupe_key` makes enqueueing
-- idempotent; `locked_until` lets a crashed worker's rows be taken again.
create table outbox (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    kind              text not null,             -- e.g. post_highlight, update_thread_parent
    dedupe_key        text not null,
    payload           text not null,             -- JSON
    status            text not null default 'pending' check (status in ('pending', 'done', 'failed')),
    attempts          integer not null default 0,
    run_after         integer not null,          -- not before this time
    locked_until      integer,                   -- a worker holds the row until then
    claim_token       text,                      -- which claim holds it
    last_error        text,
    created_at        integer not null,
    updated_at        integer not null,
    constraint outbox_dedupe_unique unique (workspace_id, dedupe_key)
);
create index outbox_due on outbox (status, run_after);

-- Events API deliveries already handled: Slack redelivers with the same event_id.
create table processed_events (
    workspace_id      text not null,
    event_id          text not null,
    event_type        text not null,
    received_at       integer not null,
    primary key (workspace_id, event_id)
);
