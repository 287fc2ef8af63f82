-- Onboarding: who is enrolled and toward what, the evidence that counts
-- (triaged feedback, support tickets), helpdesk events waiting for a Slack user,
-- and milestones already announced (so none is announced twice).

create table onboardees (
    workspace_id      text not null references workspaces (id) on delete cascade,
    user_id           text not null,
    start_date        text not null,             -- YYYY-MM-DD
    days              integer not null,
    interviews_target integer not null,
    feedback_target   integer not null,
    tickets_target    integer not null,
    enrolled_by       text not null,
    ended_at          integer,                   -- offboarded (history kept)
    created_at        integer not null,
    primary key (workspace_id, user_id)
);

-- A Slack message classified with the "Triage feedback" shortcut.
create table feedback_items (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    triaged_by        text not null,
    channel_id        text not null,
    message_ts        text not null,
    message_text      text not null,
    permalink         text,
    area_id           integer not null,
    customer_id       integer,
    kind              text not null check (kind in ('pain', 'request', 'praise', 'other')),
    created_at        integer not null,
    constraint feedback_items_once unique (workspace_id, channel_id, message_ts),
    foreign key (workspace_id, area_id) references product_areas (workspace_id, id),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id)
);
create index feedback_items_by_user on feedback_items (workspace_id, triaged_by, created_at);

-- Support tickets: self-reported batches, or one row per helpdesk ticket id.
create table tickets (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    user_id           text not null,
    source            text not null check (source in ('self', 'webhook')),
    ticket_ref        text,                      -- helpdesk ticket id; counts once
    count             integer not null check (count > 0),
    note              text,
    created_at        integer not null,
    constraint tickets_ref_once unique (workspace_id, ticket_ref)
);
create index tickets_by_user on tickets (workspace_id, user_id, created_at);

-- Helpdesk events whose agent is not (yet) a known Slack user.
create table unmapped_tickets (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    ticket_ref        text not null,
    agent_email       text,
    reason            text not null,
    payload           text not null,
    received_at       integer not null,
    constraint unmapped_tickets_once unique (workspace_id, ticket_ref)
);

create table milestones (
    workspace_id      text not null,
    user_id           text not null,
    milestone         text not null,             -- e.g. interviews:half, all:complete
    reached_at        integer not null,
    primary key (workspace_id, user_id, milestone)
);
