-- Areas ranked by distinct customers over a period (the digest, and the
-- library's `/` and `/areas`) read each area's highlights of the period and
-- their customers: with the customer in the index the read stays in the
-- index instead of visiting every highlight's row (about half the time of
-- a 30-day ranking; `cargo bench --bench pages`).
drop index highlights_by_area;
create index highlights_by_area on highlights (workspace_id, area_id, created_at, customer_id);
