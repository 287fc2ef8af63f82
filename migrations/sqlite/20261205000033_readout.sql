-- The manager read-out (design.md, Behaviour: Manager read-out): when the
-- managers get it by DM (`weekly mon 09:00`; null: off, the default), and
-- from when it was set (a period that ended before that is not sent).
-- Each period is claimed once in processed_events (`readout:<period>`).
alter table workspaces add column readout_schedule text;
alter table workspaces add column readout_since integer;
