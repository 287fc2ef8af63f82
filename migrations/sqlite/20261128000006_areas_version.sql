-- A version of each workspace's product areas, bumped by every change to them,
-- so every replica can keep the areas in memory and know, from the one row a
-- capture reads anyway, when its copy is stale.
alter table workspaces add column areas_version integer not null default 0;
