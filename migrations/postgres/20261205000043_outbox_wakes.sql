-- How often the row was woken (`store::outbox::update_outbox_wake_workspace`,
-- e.g. the product channel set, the app installed again). A claim reads it;
-- an attempt that ends in a retry is due at once when it changed meanwhile.
-- A counter, not a time: a wake in the millisecond of the claim counts too.
alter table outbox add column wakes bigint not null default 0;
