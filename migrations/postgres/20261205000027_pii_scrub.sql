-- PII scrubbing at capture (design.md, Behaviour: Privacy): on unless a
-- workspace turns it off with `/highlight config pii-scrub off`.
alter table workspaces add column pii_scrub integer not null default 1;
