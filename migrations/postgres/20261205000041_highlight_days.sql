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
create index highlight_days_by_customer on highlight_days (workspace_id, customer_id, area_id, highlights);

insert into highlight_days (workspace_id, day, area_id, customer_id, highlights)
select workspace_id, created_at / 86400000, area_id, customer_id, count(*)
from highlights group by workspace_id, created_at / 86400000, area_id, customer_id;

create function highlight_days_track() returns trigger language plpgsql as $$
begin
    if tg_op in ('DELETE', 'UPDATE') then
        update highlight_days set highlights = highlights - 1
        where workspace_id = old.workspace_id and day = old.created_at / 86400000
          and area_id = old.area_id and customer_id = old.customer_id;
        delete from highlight_days
        where workspace_id = old.workspace_id and day = old.created_at / 86400000
          and area_id = old.area_id and customer_id = old.customer_id and highlights <= 0;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into highlight_days (workspace_id, day, area_id, customer_id, highlights)
        values (new.workspace_id, new.created_at / 86400000, new.area_id, new.customer_id, 1)
        on conflict (workspace_id, day, area_id, customer_id)
        do update set highlights = highlight_days.highlights + 1;
    end if;
    return null;
end
$$;

create trigger highlight_days_track
after insert or delete or update of workspace_id, created_at, area_id, customer_id on highlights
for each row execute function highlight_days_track();
