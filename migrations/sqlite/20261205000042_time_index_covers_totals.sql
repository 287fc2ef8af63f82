-- A period's totals (the digest's first line and the library's `/`: its
-- highlights, and their distinct interviews, customers and interviewers)
-- read the period's range of the time index: with the interview and the
-- author in it too, they never visit the table (a week at a million
-- highlights: 19,000 rows; about 5 ms instead of 12 on SQLite,
-- `cargo bench --bench pages`). It replaces the narrower index, so a capture
-- writes as many indexes as before.
drop index highlights_by_time;
create index highlights_by_time on highlights (workspace_id, created_at, area_id, customer_id, interview_id, author);
