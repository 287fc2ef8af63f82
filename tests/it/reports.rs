//! The month-end report's numbers and quotes over more highlights than it
//! shows: what it counts and ranks in SQL, and the few quotes it reads in
//! full, match what picking from every quote of the window gives.

use highlights::digests::pick_quotes;
use highlights::domain::ShownCustomer;
use highlights::reports::{gather, Report};
use highlights::store::digests::QuoteCandidate;
use highlights::store::workspaces::WorkspaceId;

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp, TEAM, USER};

const DAY_MS: i64 = 86_400_000;
/// The customer who fills chat's newest quotes: anonymous, recordings hidden.
const LOUD: i64 = 2;

/// `n` days before today (UTC), `YYYY-MM-DD`.
fn days_ago(n: i64) -> String {
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * n);
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().to_string()
}

/// Runs one statement, binding `args` as integers or text.
async fn exec(app: &TestApp, sql: &str, args: &[&dyn std::fmt::Display]) {
    let mut query = sqlx::query(sql);
    for arg in args {
        let text = arg.to_string();
        query = match text.parse::<i64>() {
            Ok(n) => query.bind(n),
            Err(_) => query.bind(text),
        };
    }
    query.execute(app.db.pool()).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// Ten customers interviewed by the test user over 20 days, highlights over
/// four areas and four kinds, a third of them endorsed, and some customers
/// marked as testers. `chat` is the deep one: its 40 newest quotes are one
/// anonymous customer's complaints (its recordings hidden, the newest closed
/// by a shipment), and the customers and kinds that the picking prefers
/// come after them.
async fn seed(app: &TestApp) {
    // The workspace and its areas, as a first capture makes them.
    let said = ephemeral(app.slash("Seed Co | billing | The first words").await).await;
    assert!(said.starts_with("✅"), "{said}");
    let kinds = ["pain", "request", "praise", "other"];
    let areas = ["chat", "billing", "reporting", "integrations"];
    for area in areas {
        exec(
            app,
            "insert into product_areas (workspace_id, key, name, created_at) values ($1, $2, $2, 0)
             on conflict (workspace_id, key) do nothing",
            &[&TEAM, &area],
        )
        .await;
    }
    for c in 0..10 {
        exec(
            app,
            "insert into customers (workspace_id, key, display_name, created_at, updated_at, anonymous, anonymous_label, recordings_hidden)
             values ($1, $2, $3, 0, 0, $4, nullif($5, 0), $6)",
            &[&TEAM, &format!("cust {c:02}"), &format!("Cust {c:02}"), &i64::from(c == LOUD), &(if c == LOUD { 7 } else { 0 }), &i64::from(c == LOUD)],
        )
        .await;
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let mut k = 0i64;
    // Older days first, so that ids grow with the dates, except where
    // noted: a later id on an older day is read after.
    for day in (1..=20).rev() {
        for c in 0..10 {
            let (key, date) = (format!("cust {c:02}"), days_ago(day));
            exec(
                app,
                "insert into interviews (workspace_id, customer_id, interviewer, interview_date, recording_link, created_at)
                 select $1, id, $2, $3, 'https://zoom.us/rec/x', 0 from customers where workspace_id = $1 and key = $4",
                &[&TEAM, &USER, &date, &key],
            )
            .await;
            // Most days a customer says nothing; the loud customer alone
            // speaks on the last four days, about chat.
            let loud = c == LOUD && day <= 4;
            let says = loud || (day > 4 && (day + c) % 3 == 0);
            if !says {
                continue;
            }
            for j in 0..if loud { 10 } else { 3 } {
                k += 1;
                let (area, kind) = if loud {
                    ("chat", "pain")
                } else {
                    (areas[((k * 7 + c) % 4) as usize], kinds[((k + j) % 4) as usize])
                };
                let endorsed = if k % 3 == 0 { Some("U0ADMIN001") } else { None };
                exec(
                    app,
                    "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at, recording_link, endorsed_by)
                     select $1, i.id, i.customer_id, a.id, $2, $3, $4, $5, 'https://zoom.us/rec/x', nullif($6, '')
                     from interviews i join customers c on c.id = i.customer_id
                     join product_areas a on a.workspace_id = $1 and a.key = $7
                     where i.workspace_id = $1 and c.key = $8 and i.interview_date = $9",
                    &[&TEAM, &kind, &format!("quote {k}"), &USER, &(now - day * DAY_MS), &endorsed.unwrap_or(""), &area, &key, &date],
                )
                .await;
            }
        }
    }
    // A shipment closed chat's newest quote; some customers would test an area.
    exec(
        app,
        "insert into shipments (workspace_id, nonce, area, announcement, shipped_by, shipped_on, created_at)
         values ($1, 'n1', 'chat', 'Shipped', $2, '2026-12-01', 0)",
        &[&TEAM, &USER],
    )
    .await;
    exec(
        app,
        "update highlights set closed_by_shipment = (select max(id) from shipments)
         where id = (select max(h.id) from highlights h join product_areas a on a.id = h.area_id where a.key = 'chat')",
        &[],
    )
    .await;
    for (customer, area) in [("cust 01", "chat"), ("cust 02", "chat"), ("cust 04", "billing"), ("cust 05", "reporting")]
    {
        exec(
            app,
            "insert into testers (workspace_id, customer_id, area_id, marked_by, created_at)
             select $1, c.id, a.id, $2, 0 from customers c, product_areas a
             where c.workspace_id = $1 and c.key = $3 and a.workspace_id = $1 and a.key = $4",
            &[&TEAM, &USER, &customer, &area],
        )
        .await;
    }
}

/// A quote as the report shows it: words, customer, recording, shipped on,
/// endorsed.
type Shown = (String, String, Option<String>, Option<String>, bool);
/// A feature: area, customers, highlights, testers, quotes.
type Feature = (String, usize, usize, usize, Vec<Shown>);

/// What the report shows when every quote of the window is read, then
/// grouped, ranked and picked from in Rust: interviews and features.
async fn from_every_quote(app: &TestApp, endorsed_only: bool) -> (usize, Vec<Feature>) {
    type Row = (String, i64, i64, String, String, String, Option<String>, String, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "select a.name, h.area_id, h.customer_id, h.kind, h.quote, i.interview_date, h.endorsed_by,
                case when c.anonymous <> 0 then 'Customer ' || c.anonymous_label else c.display_name end,
                case when c.recordings_hidden <> 0 then null else h.recording_link end,
                (select s.shipped_on from shipments s where s.id = h.closed_by_shipment)
         from interviews i join highlights h on h.interview_id = i.id
         join customers c on c.id = h.customer_id
         join product_areas a on a.id = h.area_id
         where i.workspace_id = $1 and i.interviewer = $2 and i.interview_date >= $3
         order by i.interview_date desc, h.id desc",
    )
    .bind(TEAM)
    .bind(USER)
    .bind(days_ago(29))
    .fetch_all(app.db.pool())
    .await
    .expect("every quote");
    let marks: Vec<(i64, i64)> =
        sqlx::query_as("select area_id, customer_id from testers").fetch_all(app.db.pool()).await.expect("marks");
    let mut interviews: Vec<(i64, &str)> = rows.iter().map(|r| (r.2, r.5.as_str())).collect();
    interviews.sort_unstable();
    interviews.dedup();
    let interviews = interviews.len();
    let mut areas: Vec<(String, Vec<QuoteCandidate>)> = Vec::new();
    for (area, area_id, customer_id, kind, quote, date, endorsed_by, label, link, shipped_on) in rows.clone() {
        if endorsed_only && endorsed_by.is_none() {
            continue;
        }
        let candidate = QuoteCandidate {
            area_id,
            customer_id,
            customer: ShownCustomer::named(label),
            kind,
            quote,
            author: USER.into(),
            interview_date: date,
            recording_link: link,
            recording_at: None,
            permalink: None,
            endorsed_by,
            shipped_on,
        };
        match areas.iter_mut().find(|(a, _)| *a == area) {
            Some((_, list)) => list.push(candidate),
            None => areas.push((area, vec![candidate])),
        }
    }
    let distinct = |list: &[QuoteCandidate], keep: &dyn Fn(&QuoteCandidate) -> bool| {
        let mut ids: Vec<i64> = list.iter().filter(|q| keep(q)).map(|q| q.customer_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    let all = |_: &QuoteCandidate| true;
    areas.sort_by(|a, b| {
        distinct(&b.1, &all).cmp(&distinct(&a.1, &all)).then(b.1.len().cmp(&a.1.len())).then(a.0.cmp(&b.0))
    });
    let features = areas
        .iter()
        .take(3)
        .map(|(area, list)| {
            let testers = distinct(list, &|q| marks.contains(&(q.area_id, q.customer_id)));
            let quotes = pick_quotes(list, 5)
                .into_iter()
                .map(|q| (q.quote, q.customer.label(), q.recording_link, q.shipped_on, q.endorsed_by.is_some()))
                .collect();
            (area.clone(), distinct(list, &all), list.len(), testers, quotes)
        })
        .collect();
    (interviews, features)
}

/// The report's figures and quotes, as [`from_every_quote`] gives them.
fn shown(report: &Report) -> (usize, Vec<Feature>) {
    let features = report
        .features
        .iter()
        .map(|f| {
            let quotes = f
                .quotes
                .iter()
                .map(|q| {
                    (q.quote.clone(), q.customer.label(), q.recording_link.clone(), q.shipped_on.clone(), q.endorsed)
                })
                .collect();
            (f.area.clone(), f.customers, f.highlights, f.testers, quotes)
        })
        .collect();
    (report.interviews, features)
}

on_both_backends!(the_report_shows_what_picking_from_every_quote_of_the_window_shows);
async fn the_report_shows_what_picking_from_every_quote_of_the_window_shows(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    seed(&app).await;
    let ws = WorkspaceId(TEAM.into());
    let now = jiff::Timestamp::now().as_millisecond();
    let report = gather(&app.db, &ws, USER, now).await.expect("gather").expect("a report");
    let expected = from_every_quote(&app, false).await;
    assert_eq!(shown(&report), expected);
    // Chat is among the features (its 40 extra quotes), and its picking
    // reaches past the loud customer's 40 newest for other customers and kinds.
    let chat = report.features.iter().find(|f| f.area == "chat").expect("chat is a feature");
    assert_eq!(chat.quotes.len(), 5, "{chat:?}");
    let loud: Vec<_> = chat.quotes.iter().filter(|q| q.customer.label() == "Customer 7").collect();
    assert_eq!(loud.len(), 1, "one quote of the loud customer: {chat:?}");
    // Shown as it asked (anonymous, no recording), its newest quote shipped.
    assert_eq!((loud[0].recording_link.as_deref(), loud[0].shipped_on.as_deref()), (None, Some("2026-12-01")));
    assert!(chat.quotes[1..].iter().all(|q| q.recording_link.is_some()), "{chat:?}");
    let kinds: Vec<String> = sqlx::query_scalar(
        "select distinct h.kind from highlights h join product_areas a on a.id = h.area_id
         where a.key = 'chat' and h.quote in ($1, $2, $3, $4, $5)",
    )
    .bind(&chat.quotes[0].quote)
    .bind(&chat.quotes[1].quote)
    .bind(&chat.quotes[2].quote)
    .bind(&chat.quotes[3].quote)
    .bind(&chat.quotes[4].quote)
    .fetch_all(app.db.pool())
    .await
    .expect("kinds");
    assert_eq!(kinds.len(), 4, "a quote of each kind: {chat:?}");
    assert!(report.features.iter().any(|f| f.testers > 0), "{:?}", report.features);

    // Endorsed only: fewer counted, the same interviews, only endorsed quotes.
    exec(&app, "update workspaces set report_endorsed_only = 1", &[]).await;
    let endorsed = gather(&app.db, &ws, USER, now).await.expect("gather").expect("a report");
    assert!(endorsed.endorsed_only);
    let expected_endorsed = from_every_quote(&app, true).await;
    assert_eq!(shown(&endorsed), expected_endorsed);
    assert_eq!(endorsed.interviews, report.interviews);
    assert!(endorsed.features.iter().flat_map(|f| &f.quotes).all(|q| q.endorsed));
    assert_ne!(expected_endorsed.1, expected.1, "endorsed only counts fewer");
}
