-- A customer's thread parent counts its highlights, interviews and
-- interviewers (`customers::find_customer_summary`) each time a post of
-- theirs lands. SQLite plans without statistics, and took the one index
-- that covers the question, `highlights_by_time`, reading every highlight of
-- the workspace (1.8 ms a count over 20,000, in the load bench's outbox
-- round: a third of its statements' time) rather than the customer's few in
-- `highlights_by_customer` and their rows. This index now covers it, keyed by
-- the customer: the same entries in the same order, two columns longer.
drop index highlights_by_customer_area;
create index highlights_by_customer_area on highlights (workspace_id, customer_id, area_id, id, interview_id, author);
