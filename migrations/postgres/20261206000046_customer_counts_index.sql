-- SQLite only: its index of highlights by customer and area covers the
-- customer's counts (SQLite plans without statistics, and read the whole
-- workspace's time index for them). PostgreSQL plans with its statistics
-- and takes `highlights_by_customer`; nothing changes here.
select 1;
