-- The customers a person follows (`follows::list_followed`: their App Home
-- and "my customers") were read through the primary key's index, every
-- follow of the workspace: SQLite plans without statistics, and took the
-- index that covered the question over `follows_by_user`, which did not.
-- This one now covers it, keyed by the person: the same entries in the
-- same order, one column longer.
drop index follows_by_user;
create index follows_by_user on follows (workspace_id, user_id, customer_id);
