-- How many highlights each customer gave about each product area on each
-- day (UTC days since 1970: `created_at / 86400000`), kept by a trigger as
-- highlights come, go, move to another customer or area. Rankings of areas
-- by distinct customers over a period (the digest, the month-end report and
-- the library's `/`, `/areas`) read the period's whole days here and only
-- its partial first and last days from `highlights`; at a million
-- highlights a 30-day ranking reads about one row here for every six there,
-- and the library's 12-week chart reads nothing else
-- (`cargo bench --bench pages`). The customer directory's highlight counts
-- and areas (and its sort by count) read `highlight_days_by_customer`.
create table highlight_days (
    workspace_id text not null references workspaces (id) on delete cascade,
    day          bigint not null,
    area_id      bigint not null,
    customer_id  bigint not null,
    highlights   bigint not null,
    primary key (workspace_id, day, area_id, customer_id)
);
-- The count is not in an index and the table's pages keep room: a count
-- changes in place (a HOT update), so a busy customer's row of the day does
-- not grow its indexes at every capture.
alter table highlight_days set (fillfactor = 50);
create index highlight_days_by_customer on highlight_days (workspace_id, customer_id, area_id);

insert into highlight_days (workspace_id, day, area_id, customer_id, highlights)
select workspace_id, created_at / 86400000, area_id, customer_id, count(*)
from highlights group by workspace_id, created_at / 86400000, area_id, customer_id;

-- Captures come in groups, many about the same customer and area: each
-- insert statement adds its rows' counts once per day, area and customer
-- (in key order, so two groups lock shared rows in the same order), instead
-- of a row trigger updating the same row once per highlight.
create function highlight_days_add() returns trigger language plpgsql as $$
begin
    insert into highlight_days (workspace_id, day, area_id, customer_id, highlights)
    select workspace_id, created_at / 86400000, area_id, customer_id, count(*)
    from added
    group by workspace_id, created_at / 86400000, area_id, customer_id
    order by workspace_id, created_at / 86400000, area_id, customer_id
    on conflict (workspace_id, day, area_id, customer_id)
    do update set highlights = highlight_days.highlights + excluded.highlights;
    return null;
end
$$;

create trigger highlight_days_add
after insert on highlights
referencing new table as added
for each statement execute function highlight_days_add();

-- Highlights deleted, or moved to another customer, area or day (rare: a
-- forget, a merge), one at a time.
create function highlight_days_track() returns trigger language plpgsql as $$
begin
    update highlight_days set highlights = highlights - 1
    where workspace_id = old.workspace_id and day = old.created_at / 86400000
      and area_id = old.area_id and customer_id = old.customer_id;
    delete from highlight_days
    where workspace_id = old.workspace_id and day = old.created_at / 86400000
      and area_id = old.area_id and customer_id = old.customer_id and highlights <= 0;
    if tg_op = 'UPDATE' then
        insert into highlight_days (workspace_id, day, area_id, customer_id, highlights)
        values (new.workspace_id, new.created_at / 86400000, new.area_id, new.customer_id, 1)
        on conflict (workspace_id, day, area_id, customer_id)
        do update set highlights = highlight_days.highlights + 1;
    end if;
    return null;
end
$$;

create trigger highlight_days_track
after delete or update of workspace_id, created_at, area_id, customer_id on highlights
for each row execute function highlight_days_track();
