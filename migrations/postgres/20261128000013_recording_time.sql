-- A moment in the highlight's recording, in seconds (`@ 12:34` in quick capture,
-- the modal's "At" field): posts and digests link to it.
alter table highlights add column recording_at bigint;
