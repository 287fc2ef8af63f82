-- 1 when an earlier attempt at the row may have reached Slack without our
-- knowing (it timed out after sending, or its process died holding it): the
-- next attempt first looks in the channel for the message it would post.
alter table outbox add column uncertain integer not null default 0;
