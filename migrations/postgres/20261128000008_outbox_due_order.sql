-- Due rows are claimed in the order they fell due: an index that gives that
-- order, so a claim reads the rows it takes and not every due row.
drop index outbox_due;
create index outbox_due on outbox (status, run_after, id);
