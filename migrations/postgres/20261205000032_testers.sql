-- Prototype testers (design.md, Behaviour: Testers): the customers willing to
-- try a prototype in a product area, marked from the capture modal or by
-- `/highlight tester`, and each time one was asked (listed by
-- `/highlight testers <area>` to someone looking for testers).
create table testers (
    workspace_id      text not null references workspaces (id) on delete cascade,
    customer_id       bigint not null,
    area_id           bigint not null,
    highlight_id      bigint,                  -- the quote that qualified them; null when marked by command
    marked_by         text not null,             -- Slack user id
    created_at        bigint not null,
    primary key (workspace_id, customer_id, area_id),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id) on delete cascade
);
-- "Who would try the chat prototype?"
create index testers_by_area on testers (workspace_id, area_id);

create table tester_asks (
    workspace_id      text not null references workspaces (id) on delete cascade,
    customer_id       bigint not null,
    area_id           bigint not null,
    asked_by          text not null,             -- Slack user id of whoever listed them
    asked_at          bigint not null,
    foreign key (workspace_id, customer_id) references customers (workspace_id, id) on delete cascade
);
-- When a customer was last asked, and how often this quarter.
create index tester_asks_by_customer on tester_asks (workspace_id, customer_id, asked_at);
