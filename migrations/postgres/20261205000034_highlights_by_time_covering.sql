-- Momentum in digests (design.md, Behaviour: Digests) reads a period's
-- highlights by area and by customer: with the area and the customer in the
-- time index, those reads (and the digest's per-area ranking) never visit
-- the table. It replaces the narrower index, so a capture still writes as
-- many indexes as before.
drop index highlights_by_time;
create index highlights_by_time on highlights (workspace_id, created_at, area_id, customer_id);
