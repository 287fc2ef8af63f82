-- Finding near-duplicate customer names without reading every name: each
-- customer's key and every spelling of it with one character deleted. Two
-- keys one typo apart (a character deleted, added or changed) share a row
-- here, so "acme" finds "acne" and "acmee" through an index.
create table customer_key_variants (
    workspace_id      text not null,
    variant           text not null,
    customer_id       integer not null,
    primary key (workspace_id, variant, customer_id),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id) on delete cascade
);

-- The variants of every customer already there (keys of up to 64 characters).
insert into customer_key_variants (workspace_id, variant, customer_id)
with recursive positions (workspace_id, id, key, i) as (
    select workspace_id, id, key, 0 from customers
    union all
    select workspace_id, id, key, i + 1 from positions where i < length(key) and length(key) <= 64
)
select distinct workspace_id,
       case when i = 0 then key else substr(key, 1, i - 1) || substr(key, i + 1) end,
       id
from positions
where i = 0 or length(key) > 1
on conflict do nothing;
