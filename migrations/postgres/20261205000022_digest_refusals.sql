-- A digest or approval DM that Slack refused (issue 28): the period is kept
-- but marked refused, so the next digest covers its highlights again, and an
-- approval gets its own status, so it neither waits nor expires. Who set the
-- digest up last is kept, to be told when nobody approves digests.
alter table digests add column refused_at bigint;
alter table workspaces add column digest_set_by text;

alter table digest_approvals drop constraint digest_approvals_status_check;
alter table digest_approvals add constraint digest_approvals_status_check
    check (status in ('pending', 'approved', 'skipped', 'expired', 'refused'));
