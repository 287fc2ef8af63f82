-- Signed requests already taken (slash commands and interactions), by the
-- SHA-256 of their signature, so that one replayed within Slack's 5-minute
-- signing window is answered without being acted on again, by any replica.
-- A row is needed only while its signature can still be verified: the
-- scheduler deletes it once `expires_at` (unix ms) has passed.
create table seen_requests (
    signature_hash    text primary key,
    expires_at        bigint not null
);
create index seen_requests_expiry on seen_requests (expires_at);
