-- Signed requests are looked up by their signature's hash only: the table is
-- now that key's own b-tree (`without rowid`) instead of rows beside an index
-- of the key. Recording a request writes two pages (the key's, and the
-- expiry index's) instead of three: the rowid table's last page came on top,
-- for every slash command and click, a quick capture's included.
create table seen_requests_by_hash (
    signature_hash    text primary key,
    expires_at        integer not null
) without rowid;
insert into seen_requests_by_hash (signature_hash, expires_at) select signature_hash, expires_at from seen_requests;
drop table seen_requests;
alter table seen_requests_by_hash rename to seen_requests;
create index seen_requests_expiry on seen_requests (expires_at);
