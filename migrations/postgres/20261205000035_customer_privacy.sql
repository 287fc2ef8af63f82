-- How a customer is shown outside its own thread (design.md, Behaviour:
-- Privacy). `anonymous_label` is the customer's number in its workspace,
-- given the first time it turns anonymous and kept for good (anonymous again
-- later: the same `Customer N`); `anonymous` says whether it is shown so now.
alter table customers add column anonymous_label bigint;
alter table customers add column anonymous integer not null default 0;
-- Non-zero: its recording links and times are left out outside its thread.
alter table customers add column recordings_hidden integer not null default 0;
-- The numbers given so far in the workspace: a forgotten customer's number
-- is never given again.
alter table workspaces add column customer_labels bigint not null default 0;
create unique index customers_anonymous_label on customers (workspace_id, anonymous_label);
