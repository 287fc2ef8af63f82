-- Full-text entries are written after the capture, not inside its commit:
-- a lone capture wrote about five of its twenty-one pages (and tokenized its
-- quote) for FTS5, each commit adding a segment of its own. A new highlight
-- is now only listed in `highlights_fts_pending`; `store::search_index`
-- indexes what is listed in batches a moment later (one segment for a
-- burst), and a search indexes what is still listed before it reads, so it
-- sees every capture committed before it (benches/README.md).
create table highlights_fts_pending (
    id integer primary key
);

drop trigger highlights_fts_insert;
drop trigger highlights_fts_delete;
drop trigger highlights_fts_update;

create trigger highlights_fts_insert after insert on highlights begin
    insert into highlights_fts_pending (id) values (new.id);
end;

-- A highlight still listed has no entries to remove: FTS5's 'delete' of
-- entries it does not hold would corrupt the index.
create trigger highlights_fts_delete after delete on highlights begin
    insert into highlights_fts (highlights_fts, rowid, quote, takeaway)
    select 'delete', old.id, old.quote, coalesce(old.takeaway, '')
    where not exists (select 1 from highlights_fts_pending where id = old.id);
    delete from highlights_fts_pending where id = old.id;
end;

-- A highlight still listed is indexed later from its new words.
create trigger highlights_fts_update after update of quote, takeaway on highlights
when not exists (select 1 from highlights_fts_pending where id = old.id) begin
    insert into highlights_fts (highlights_fts, rowid, quote, takeaway)
    values ('delete', old.id, old.quote, coalesce(old.takeaway, ''));
    insert into highlights_fts (rowid, quote, takeaway) values (new.id, new.quote, coalesce(new.takeaway, ''));
end;

-- Only posted highlights are looked up by their post: a new one is not
-- posted yet, and no longer writes an entry here.
drop index highlights_by_post;
create index highlights_by_post on highlights (workspace_id, posted_channel, posted_ts) where posted_ts is not null;
