-- Closing the loop (design.md, Behaviour): what was shipped, and which
-- highlights each shipment closed. A shipment is made by one click on one
-- preview; the preview's nonce makes a second click (or a replica's) find the
-- first shipment instead of making another.
create table shipments (
    id                bigint generated always as identity primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    nonce             text not null,             -- the preview's, once per workspace
    area              text not null,             -- the area's name when it shipped
    announcement      text not null,
    link              text,
    shipped_by        text not null,             -- Slack user id of whoever clicked
    shipped_on        text not null,             -- YYYY-MM-DD in the workspace's zone
    created_at        bigint not null,
    constraint shipments_scope_unique unique (workspace_id, id),
    constraint shipments_nonce_unique unique (workspace_id, nonce)
);

-- The shipment that closed a highlight; null while open. Set once: a later
-- shipment never takes a highlight another closed.
alter table highlights add column closed_by_shipment bigint;
create index highlights_by_shipment on highlights (workspace_id, closed_by_shipment)
    where closed_by_shipment is not null;
