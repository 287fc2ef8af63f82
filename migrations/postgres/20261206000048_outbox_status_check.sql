-- SQLite only: its outbox's status check is rewritten as comparisons (it
-- built a temporary b-tree of the listed values for every row written).
-- PostgreSQL checks a list with no such structure; nothing changes here.
select 1;
