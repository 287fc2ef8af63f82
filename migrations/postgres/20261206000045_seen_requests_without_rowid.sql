-- SQLite only: its signed-requests table becomes its key's own b-tree
-- (`without rowid`). A PostgreSQL table is a heap beside its primary key's
-- index either way; nothing changes here.
select 1;
