-- An author's latest highlights (their App Home) are read newest first, ties
-- broken by id. With the id in the index the order is the index's own: the
-- read takes its few rows from the end of the author's range instead of
-- sorting every highlight the author ever captured.
drop index highlights_by_author;
create index highlights_by_author on highlights (workspace_id, author, created_at, id);
