-- When a workspace uninstalls the app (or revokes its bot token), nothing more
-- is posted there until it is used again; its data stays.
alter table workspaces add column uninstalled_at integer;
