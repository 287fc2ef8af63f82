-- Customer attributes for weighting (imported from CSV), the permalink of each
-- customer's thread, and full-text search over highlights (FTS5, kept in step
-- with the highlights table by triggers).

alter table customers add column segment text;
alter table customers add column arr_cents integer;
alter table customers add column thread_permalink text;

create index highlights_by_interview on highlights (workspace_id, interview_id);

create virtual table highlights_fts using fts5(
    quote,
    takeaway,
    content = 'highlights',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

create trigger highlights_fts_insert after insert on highlights begin
    insert into highlights_fts (rowid, quote, takeaway) values (new.id, new.quote, coalesce(new.takeaway, ''));
end;

create trigger highlights_fts_delete after delete on highlights begin
    insert into highlights_fts (highlights_fts, rowid, quote, takeaway)
    values ('delete', old.id, old.quote, coalesce(old.takeaway, ''));
end;

create trigger highlights_fts_update after update of quote, takeaway on highlights begin
    insert into highlights_fts (highlights_fts, rowid, quote, takeaway)
    values ('delete', old.id, old.quote, coalesce(old.takeaway, ''));
    insert into highlights_fts (rowid, quote, takeaway) values (new.id, new.quote, coalesce(new.takeaway, ''));
end;

insert into highlights_fts (rowid, quote, takeaway) select id, quote, coalesce(takeaway, '') from highlights;
