-- SQLite only: its index of follows by person covers the customers a person
-- follows (SQLite plans without statistics, and read every follow of the
-- workspace for them). PostgreSQL plans with its statistics and takes
-- `follows_by_user`; nothing changes here.
select 1;
