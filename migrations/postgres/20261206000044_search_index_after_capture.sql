-- Only posted highlights are looked up by their post: a new one is not
-- posted yet, and no longer writes an entry here. (SQLite also moves its
-- full-text entries out of the capture's commit; PostgreSQL's GIN index
-- already defers its entries to its pending list.)
drop index highlights_by_post;
create index highlights_by_post on highlights (workspace_id, posted_channel, posted_ts) where posted_ts is not null;
