-- Customers people care about (design.md, Behaviour): who follows which
-- customer, and the Monday nudge's setting. A follow belongs to one person in
-- one workspace; a merge moves it to the surviving customer.
create table follows (
    workspace_id      text not null references workspaces (id) on delete cascade,
    customer_id       integer not null,
    user_id           text not null,             -- Slack user id of the follower
    created_at        integer not null,
    primary key (workspace_id, customer_id, user_id),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id) on delete cascade
);
-- "The customers I follow" (following, App Home, nudges).
create index follows_by_user on follows (workspace_id, user_id);

-- Days without an interview before followers are nudged; null: off.
alter table workspaces add column nudge_days integer default 30;
