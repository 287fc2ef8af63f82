//! The evidence library in the browser, over real HTTP with a cookie-keeping
//! client: signing in by link, sessions and their cookies, CSRF, sign-out,
//! uninstalls, the headers of every response, workspaces kept apart,
//! escaping, and each page's content; on both backends.

use serde_json::Value;

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, fixture_json, TestApp, PUBLIC_URL, TEAM};

const OTHER_TEAM: &str = "T0OTHER001";

async fn capture(app: &TestApp, text: &str) {
    let said = ephemeral(app.slash(text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

async fn get(browser: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    browser.get(app.url(path)).send().await.expect("the app answers")
}

/// A page's status and HTML.
async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let resp = get(browser, app, path).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("a body"))
}

fn location(resp: &reqwest::Response) -> &str {
    resp.headers().get("location").and_then(|v| v.to_str().ok()).expect("a Location")
}

fn set_cookie(resp: &reqwest::Response) -> String {
    resp.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a Set-Cookie").to_owned()
}

/// The CSRF token in a page's forms.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[at..at + html[at..].find('"').expect("end")].to_owned()
}

on_both_backends!(a_sign_in_link_starts_a_session_once);
async fn a_sign_in_link_starts_a_session_once(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    let reply: Value = app.slash("web").await.json().await.expect("JSON");
    assert_eq!(reply["response_type"], "ephemeral", "to the person only: {reply}");
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains(&format!("<{PUBLIC_URL}/login/link/")), "{text}");
    assert!(text.contains("once, within 10 minutes"), "{text}");

    let path = app.sign_in_path().await;
    let browser = app.browser();
    let opened = get(&browser, &app, &path).await;
    assert_eq!(opened.status(), 303);
    assert_eq!(location(&opened), "/");
    let cookie = set_cookie(&opened);
    assert!(cookie.starts_with("highlights_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "over http the cookie cannot be Secure: {cookie}");
    let (status, home) = page(&browser, &app, "/").await;
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("<title>This week · Highlights</title>"), "{home}");

    // Only the token's SHA-256 is stored, for the sessions and the links alike.
    let token = cookie["highlights_session=".len()..cookie.find(';').expect(";")].to_owned();
    let stored: Vec<String> =
        sqlx::query_scalar("select token_hash from web_sessions").fetch_all(app.db.pool()).await.expect("rows");
    assert_eq!(stored, vec![hex::encode(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()))]);
    let link_token = path.rsplit('/').next().expect("token");
    let links: Vec<String> =
        sqlx::query_scalar("select token_hash from web_login_links").fetch_all(app.db.pool()).await.expect("rows");
    assert!(!links.iter().any(|l| l == link_token), "links are stored hashed");

    // Used once: a second opening, in any browser, is refused.
    let (status, again) = page(&app.browser(), &app, &path).await;
    assert_eq!(status, 400);
    assert!(again.contains("/highlight web"), "says what to do: {again}");
    let (status, unknown) = page(&app.browser(), &app, "/login/link/not-a-token").await;
    assert_eq!(status, 400, "{unknown}");
}

on_both_backends!(a_sign_in_link_expires_after_ten_minutes);
async fn a_sign_in_link_expires_after_ten_minutes(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    let fresh = app.sign_in_path().await;
    let stale = app.sign_in_path().await;
    app.advance(std::time::Duration::from_secs(9 * 60));
    assert_eq!(get(&app.browser(), &app, &fresh).await.status(), 303, "good within 10 minutes");
    app.advance(std::time::Duration::from_secs(2 * 60));
    let (status, body) = page(&app.browser(), &app, &stale).await;
    assert_eq!(status, 400, "expired after 10 minutes");
    assert!(body.contains("/highlight web"), "{body}");
}

on_both_backends!(a_session_lasts_fourteen_days_renewed_by_use);
async fn a_session_lasts_fourteen_days_renewed_by_use(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    let browser = app.signed_in_browser().await;
    let day = std::time::Duration::from_secs(86_400);
    app.advance(day * 10);
    let used = get(&browser, &app, "/customers").await;
    assert_eq!(used.status(), 200);
    assert!(set_cookie(&used).contains("Max-Age=1209600"), "the cookie is renewed with the session");
    app.advance(day * 10);
    assert_eq!(get(&browser, &app, "/customers").await.status(), 200, "20 days in, used 10 days ago");
    app.advance(day * 15);
    assert_eq!(get(&browser, &app, "/customers").await.status(), 303, "15 days unused: ended");
}

on_both_backends!(pages_without_a_session_go_to_login_and_back_only_to_local_paths);
async fn pages_without_a_session_go_to_login_and_back_only_to_local_paths(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    let stranger = app.browser();
    for (path, next) in [
        ("/", "%2F"),
        ("/customers?q=acme&sort=recent", "%2Fcustomers%3Fq%3Dacme%26sort%3Drecent"),
        ("/search?q=x", "%2Fsearch%3Fq%3Dx"),
        ("/areas", "%2Fareas"),
        ("/onboarding", "%2Fonboarding"),
        ("/export.csv", "%2Fexport.csv"),
    ] {
        let resp = get(&stranger, &app, path).await;
        assert_eq!(resp.status(), 303, "{path}");
        assert_eq!(location(&resp), format!("/login?next={next}"), "{path}");
    }
    let (status, login) = page(&stranger, &app, "/login?next=%2Fcustomers").await;
    assert_eq!(status, 200);
    assert!(login.contains("/highlight web"), "{login}");
    assert!(!login.contains("Sign in with Slack"), "no Slack button without OAuth's client: {login}");

    let browser = app.signed_in_browser().await;
    let back = get(&browser, &app, "/login?next=%2Fcustomers%3Fsort%3Darr").await;
    assert_eq!((back.status().as_u16(), location(&back)), (303, "/customers?sort=arr"));
    for elsewhere in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "customers"] {
        let query = serde_urlencoded::to_string([("next", elsewhere)]).expect("query");
        let resp = get(&browser, &app, &format!("/login?{query}")).await;
        assert_eq!((resp.status().as_u16(), location(&resp)), (303, "/"), "{elsewhere}");
    }
}

on_both_backends!(over_https_the_cookie_is_secure_and_host_prefixed);
async fn over_https_the_cookie_is_secure_and_host_prefixed(backend: TestBackend) {
    let app = TestApp::spawn_web_at(backend, "https://highlights.example.com/").await;
    let path = app.sign_in_path().await;
    let opened = get(&app.browser(), &app, &path).await;
    assert_eq!(opened.status(), 303);
    let cookie = set_cookie(&opened);
    assert!(cookie.starts_with("__Host-highlights_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

on_both_backends!(a_post_without_its_sessions_csrf_token_is_refused_and_logout_ends_the_session);
async fn a_post_without_its_sessions_csrf_token_is_refused_and_logout_ends_the_session(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    let browser = app.signed_in_browser().await;
    let other = app.signed_in_browser().await;
    let (_, mine) = page(&browser, &app, "/").await;
    let (_, theirs) = page(&other, &app, "/").await;
    let (mine, theirs) = (csrf(&mine), csrf(&theirs));
    assert_ne!(mine, theirs, "each session has its own token");

    for form in [vec![], vec![("csrf", theirs.as_str())], vec![("csrf", "")]] {
        let refused = browser.post(app.url("/logout")).form(&form).send().await.expect("answer");
        assert_eq!(refused.status(), 403, "{form:?}");
        assert_eq!(get(&browser, &app, "/").await.status(), 200, "nothing changed: still signed in");
    }
    assert_eq!(app.count("web_sessions").await, 2);

    let out = browser.post(app.url("/logout")).form(&[("csrf", mine.as_str())]).send().await.expect("answer");
    assert_eq!((out.status().as_u16(), location(&out)), (303, "/login"));
    assert!(set_cookie(&out).contains("Max-Age=0"), "the browser forgets the cookie");
    assert_eq!(get(&browser, &app, "/").await.status(), 303, "signed out");
    assert_eq!(get(&other, &app, "/").await.status(), 200, "the other session goes on");
    assert_eq!(app.count("web_sessions").await, 1);
}

on_both_backends!(uninstalling_the_workspace_ends_its_sessions);
async fn uninstalling_the_workspace_ends_its_sessions(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    let browser = app.signed_in_browser().await;
    let unused = app.sign_in_path().await;
    assert_eq!(get(&browser, &app, "/").await.status(), 200);
    let uninstalled = fixture_json(include_str!("../fixtures/requests/event_callback.app_uninstalled.json"));
    assert_eq!(uninstalled["team_id"], TEAM);
    assert_eq!(app.event(&uninstalled).await.status(), 200);
    crate::support::eventually("the uninstall", || async { app.count("web_sessions").await == 0 }).await;
    assert_eq!(get(&browser, &app, "/").await.status(), 303, "the session ended");
    assert_eq!(get(&app.browser(), &app, &unused).await.status(), 400, "and the unused links");
}

on_both_backends!(every_library_response_carries_the_security_headers);
async fn every_library_response_carries_the_security_headers(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    let browser = app.signed_in_browser().await;
    let paths = [
        "/",
        "/login",
        "/login/link/unknown",
        "/static/style.css",
        "/customers",
        "/customers/1",
        "/customers/999",
        "/customers/x",
        "/search?q=canned",
        "/areas",
        "/areas/1",
        "/areas/999",
        "/onboarding",
        "/onboarding/U0NOBODY01/report",
        "/export.csv",
    ];
    for path in paths {
        for client in [&browser, &app.browser()] {
            let resp = get(client, &app, path).await;
            let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let csp = header("content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline") && !csp.contains("script-src"), "no script may run: {csp}");
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        }
    }
    let resp = browser.post(app.url("/logout")).send().await.expect("answer");
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    // Pages carry no script at all; the stylesheet is the app's own.
    let (_, home) = page(&browser, &app, "/").await;
    assert!(!home.contains("<script") && !home.contains(" style=") && !home.contains("onclick"), "{home}");
    let css = get(&browser, &app, "/static/style.css").await;
    assert!(css.headers()["content-type"].to_str().expect("type").starts_with("text/css"));
    assert!(css.text().await.expect("css").contains("@media print"));
}

on_both_backends!(the_library_is_off_without_a_public_url_and_says_how_to_turn_it_on);
async fn the_library_is_off_without_a_public_url_and_says_how_to_turn_it_on(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let said = ephemeral(app.slash("web").await).await;
    assert!(said.contains("HIGHLIGHTS_PUBLIC_URL") && said.contains("off"), "{said}");
    assert!(!said.contains("/login/link/"), "{said}");
    for path in ["/", "/login", "/customers", "/static/style.css", "/login/link/x"] {
        assert_eq!(get(&app.browser(), &app, path).await.status(), 404, "{path}");
    }
    assert_eq!(app.count("web_login_links").await, 0);
}

/// Another workspace's rows, as another installation would have written
/// them: its customer's id, its area's id.
async fn other_workspace(app: &TestApp) -> (i64, i64) {
    let pool = app.db.pool();
    sqlx::query("insert into workspaces (id, created_at, updated_at) values ($1, 0, 0)")
        .bind(OTHER_TEAM)
        .execute(pool)
        .await
        .expect("workspace");
    let customer: i64 = sqlx::query_scalar(
        "insert into customers (workspace_id, key, display_name, created_at, updated_at)
         values ($1, 'umbrella', 'Umbrella Corp', 0, 0) returning id",
    )
    .bind(OTHER_TEAM)
    .fetch_one(pool)
    .await
    .expect("customer");
    let area: i64 = sqlx::query_scalar(
        "insert into product_areas (workspace_id, key, name, created_at) values ($1, 'secret', 'Secret area', 0) returning id",
    )
    .bind(OTHER_TEAM)
    .fetch_one(pool)
    .await
    .expect("area");
    sqlx::query(
        "insert into onboardees (workspace_id, user_id, start_date, days, interviews_target, feedback_target,
                                 tickets_target, enrolled_by, created_at)
         values ($1, 'U0OTHER001', '2026-11-01', 30, 20, 100, 50, 'U0OTHER001', 0)",
    )
    .bind(OTHER_TEAM)
    .execute(pool)
    .await
    .expect("onboardee");
    (customer, area)
}

on_both_backends!(another_workspaces_customer_area_and_person_are_not_found);
async fn another_workspaces_customer_area_and_person_are_not_found(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    let (customer, area) = other_workspace(&app).await;
    let browser = app.signed_in_browser().await;
    for path in [format!("/customers/{customer}"), format!("/areas/{area}"), "/onboarding/U0OTHER001/report".into()] {
        let (status, body) = page(&browser, &app, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("Umbrella") && !body.contains("Secret area"), "{path}: {body}");
    }
    let (_, list) = page(&browser, &app, "/customers").await;
    assert!(list.contains("Acme") && !list.contains("Umbrella"), "{list}");
    let (_, areas) = page(&browser, &app, "/areas").await;
    assert!(!areas.contains("Secret area"), "{areas}");
    let (_, team) = page(&browser, &app, "/onboarding").await;
    assert!(!team.contains("U0OTHER001"), "{team}");
    let csv = get(&browser, &app, "/export.csv").await.text().await.expect("csv");
    assert!(csv.contains("Acme") && !csv.contains("Umbrella"), "{csv}");
}

on_both_backends!(user_text_is_html_escaped);
async fn user_text_is_html_escaped(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    // As Slack sends it (`should_escape`): `<`, `>` and `&` as entities.
    capture(&app, "Acme &amp; Sons | chat | \"We need &lt;script&gt;alert('x')&lt;/script&gt; &amp; more\"").await;
    let browser = app.signed_in_browser().await;
    let id = app.customer_id("Acme & Sons").await;
    let (_, list) = page(&browser, &app, "/customers?q=acme").await;
    assert!(list.contains("Acme &amp; Sons") && !list.contains("Acme & Sons"), "{list}");
    for path in [format!("/customers/{id}"), "/search?q=need".into(), "/".into()] {
        let (status, html) = page(&browser, &app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<script>"), "{path}: {html}");
        assert!(html.contains("&lt;script&gt;alert("), "{path} shows the quote literally: {html}");
        assert!(html.contains("Acme &amp; Sons"), "{path}: {html}");
    }
    let (_, search) = page(&browser, &app, "/search?q=%3Cscript%3E%22").await;
    assert!(!search.contains("<script>") && !search.contains("value=\"<"), "{search}");
}

on_both_backends!(the_customer_page_shows_everything_the_customer_said_by_area);
async fn the_customer_page_shows_everything_the_customer_said_by_area(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies | https://www.youtube.com/watch?v=abc @ 12:34").await;
    capture(&app, "Acme | chat | Macros would help too").await;
    capture(&app, "Acme | billing | Invoices are confusing").await;
    capture(&app, "Acme | chat | Third chat quote").await;
    capture(&app, "Acme | chat | Fourth chat quote, beyond what Slack's view shows").await;
    capture(&app, "Globex | chat | Not Acme's words").await;
    app.drain().await;
    let id = app.customer_id("Acme").await;
    let browser = app.signed_in_browser().await;
    let (status, html) = page(&browser, &app, &format!("/customers/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>Acme · Highlights</title>") && html.contains("<h1>Acme</h1>"), "{html}");
    assert!(html.contains("5 highlights"), "{html}");
    let chat = html.find("<h2>chat").expect("chat");
    let billing = html.find("<h2>billing").expect("billing");
    assert!(chat < billing, "the area with most highlights first");
    let order: Vec<usize> = ["Fourth chat quote", "Third chat quote", "Macros would help", "We need canned replies"]
        .iter()
        .map(|q| html.find(q).unwrap_or_else(|| panic!("{q} in {html}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]) && order[3] < billing, "newest first within an area");
    assert!(html.contains("▶ 12:34") && html.contains("t=754"), "the recording opens at the moment: {html}");
    assert!(html.contains("spengler"), "the interviewer by name: {html}");
    assert!(html.contains("request") || html.contains("pain") || html.contains("other"), "the kind: {html}");
    assert!(html.contains("Open the customer's thread in Slack"), "{html}");
    assert!(html.contains(">In Slack<"), "each quote links to its reply: {html}");
    assert!(!html.contains("Not Acme's words"), "{html}");
    assert_eq!(page(&browser, &app, "/customers/424242").await.0, 404);
}

on_both_backends!(customers_are_filtered_and_sorted);
async fn customers_are_filtered_and_sorted(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | one").await;
    capture(&app, "Globex | chat | two").await;
    capture(&app, "Globex | billing | three").await;
    capture(&app, "Initech | chat | four").await;
    let browser = app.signed_in_browser().await;
    let positions = |html: &str| {
        let mut names = ["Acme", "Globex", "Initech"]
            .into_iter()
            .filter_map(|n| html.find(&format!(">{n}</a>")).map(|at| (at, n)))
            .collect::<Vec<_>>();
        names.sort();
        names.into_iter().map(|(_, n)| n).collect::<Vec<_>>()
    };
    let (_, by_name) = page(&browser, &app, "/customers").await;
    assert_eq!(positions(&by_name), ["Acme", "Globex", "Initech"]);
    let (_, by_count) = page(&browser, &app, "/customers?sort=highlights").await;
    assert_eq!(positions(&by_count)[0], "Globex");
    let (_, recent) = page(&browser, &app, "/customers?sort=recent").await;
    assert_eq!(positions(&recent)[0], "Initech");
    let (_, filtered) = page(&browser, &app, "/customers?q=glob").await;
    assert_eq!(positions(&filtered), ["Globex"]);
    assert!(filtered.contains("value=\"glob\""), "the filter stays in its box: {filtered}");
    assert!(filtered.contains("<label for=\"customer-filter\">"), "labelled controls: {filtered}");
    let (_, none) = page(&browser, &app, "/customers?q=zzz").await;
    assert!(positions(&none).is_empty() && none.contains("No customer matches"), "{none}");
}

on_both_backends!(search_shows_what_the_slash_command_finds_in_its_order);
async fn search_shows_what_the_slash_command_finds_in_its_order(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies for common questions").await;
    capture(&app, "Globex | email | Canned replies would save us hours").await;
    capture(&app, "Initech | billing | Invoices are confusing").await;
    let slack: Value = app.slash("search canned replies").await.json().await.expect("JSON");
    let browser = app.signed_in_browser().await;
    let (status, html) = page(&browser, &app, "/search?q=canned+replies").await;
    assert_eq!(status, 200);
    let blocks = slack["blocks"].as_array().expect("blocks");
    let customers: Vec<&str> = blocks[1..]
        .iter()
        .map(|b| {
            let text = b["text"]["text"].as_str().expect("text");
            let start = text.find('*').expect("bold customer") + 1;
            &text[start..start + text[start..].find('*').expect("end")]
        })
        .collect();
    assert_eq!(customers.len(), 2, "{slack}");
    let first = html.find(&format!("<strong>{}</strong>", customers[0])).expect("first hit");
    let second = html.find(&format!("<strong>{}</strong>", customers[1])).expect("second hit");
    assert!(first < second, "the same ranking");
    assert!(!html.contains("Invoices"), "{html}");
    let (_, narrowed) = page(&browser, &app, "/search?q=canned+area%3Aemail").await;
    assert!(narrowed.contains("Globex") && !narrowed.contains("<strong>Acme</strong>"), "{narrowed}");
    let (_, unknown) = page(&browser, &app, "/search?q=canned+area%3Anowhere").await;
    assert!(unknown.contains("nowhere"), "an unknown area is named: {unknown}");
    let (status, empty) = page(&browser, &app, "/search").await;
    assert_eq!(status, 200);
    assert!(empty.contains("<label for=\"search-words\">"), "{empty}");
}

on_both_backends!(the_week_at_a_glance_ranks_areas_and_charts_twelve_weeks);
async fn the_week_at_a_glance_ranks_areas_and_charts_twelve_weeks(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | billing | Old billing pain").await;
    app.advance(std::time::Duration::from_secs(8 * 86_400));
    capture(&app, "Acme | chat | We need canned replies").await;
    capture(&app, "Globex | chat | Canned replies please").await;
    capture(&app, "Initech | billing | Invoices are confusing").await;
    capture(&app, "Umbrella | chat | Chat is slow").await;
    ephemeral(app.slash("onboard me").await).await;
    let browser = app.signed_in_browser().await;
    let (status, html) = page(&browser, &app, "/").await;
    assert_eq!(status, 200);
    let table = &html[html.find("<table").expect("ranking")..];
    let chat = table.find(">chat</a>").expect("chat");
    let billing = table.find(">billing</a>").expect("billing");
    assert!(chat < billing, "most distinct customers first");
    let chat_row = &table[chat..table[chat..].find("</tr>").expect("row") + chat];
    assert!(chat_row.contains(">3<") && chat_row.contains(">new<"), "3 customers, new this week: {chat_row}");
    let billing_row = &table[billing..table[billing..].find("</tr>").expect("row") + billing];
    assert!(billing_row.contains(">±0<"), "1 customer, as the week before: {billing_row}");
    assert!(html.contains("<svg") && html.matches("<polyline").count() == 2, "a line per area: {html}");
    assert!(html.contains("<title id=\"chart-title\">"), "the chart is labelled");
    assert!(html.contains("Chat is slow"), "latest highlights");
    assert!(html.contains("<progress"), "onboarding progress");
    assert!(html.contains("<main id=\"main\">") && html.contains("<nav aria-label="), "landmarks");
}

on_both_backends!(rankings_follow_highlights_that_move_or_go);
async fn rankings_follow_highlights_that_move_or_go(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    capture(&app, "Globex | chat | Canned replies please").await;
    capture(&app, "Initech | billing | Invoices are confusing").await;
    capture(&app, "Initech | billing | Second billing pain").await;
    // Moved to another area and to another customer (as area edits and
    // merges do), and deleted (as forgetting does).
    let pool = app.db.pool();
    for sql in [
        "update highlights set area_id = (select id from product_areas where key = 'chat') where quote like 'Invoices%'",
        "update highlights set customer_id = (select id from customers where key = 'acme') where quote like 'Canned%'",
        "delete from highlights where quote like 'Second%'",
    ] {
        sqlx::query(sql).execute(pool).await.expect(sql);
    }
    let days: Vec<(i64, i64, i64, i64)> =
        sqlx::query_as("select day, area_id, customer_id, highlights from highlight_days order by 1, 2, 3")
            .fetch_all(pool)
            .await
            .expect("days");
    let counted: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "select created_at / 86400000, area_id, customer_id, count(*) from highlights group by 1, 2, 3 order by 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .expect("counted");
    assert_eq!(days, counted, "the daily counts follow the highlights");
    let browser = app.signed_in_browser().await;
    let (_, areas) = page(&browser, &app, "/areas").await;
    assert!(!areas.contains(">billing</a>"), "billing has no highlight left: {areas}");
    let chat = areas.find(">chat</a>").expect("chat");
    let row = &areas[chat..areas[chat..].find("</tr>").expect("row") + chat];
    assert!(row.contains(">2<") && row.contains(">3<"), "Acme and Initech, 3 highlights: {row}");
}

on_both_backends!(areas_rank_over_a_period_and_an_area_groups_its_quotes_by_customer);
async fn areas_rank_over_a_period_and_an_area_groups_its_quotes_by_customer(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    capture(&app, "Acme | chat | And macros").await;
    capture(&app, "Globex | chat | Canned replies please").await;
    capture(&app, "Initech | billing | Invoices are confusing").await;
    sqlx::query("update customers set segment = 'Enterprise', arr_cents = 12000000 where key = 'acme'")
        .execute(app.db.pool())
        .await
        .expect("attributes");
    let browser = app.signed_in_browser().await;
    let (_, areas) = page(&browser, &app, "/areas").await;
    assert!(areas.find(">chat</a>").expect("chat") < areas.find(">billing</a>").expect("billing"), "{areas}");
    assert!(areas.contains("<label for=\"since\">"), "{areas}");
    let (_, later) = page(&browser, &app, "/areas?since=2999-01-01").await;
    assert!(!later.contains(">chat</a>") && later.contains("Nothing captured since 2999-01-01"), "{later}");
    let chat = app.area_id("chat").await;
    let (status, html) = page(&browser, &app, &format!("/areas/{chat}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>chat</h1>"), "{html}");
    let acme = html.find(">Acme</a>").expect("Acme");
    assert!(acme < html.find(">Globex</a>").expect("Globex"), "the customer with most quotes first");
    assert!(html.contains("Enterprise") && html.contains("$120,000 ARR"), "segment and ARR: {html}");
    assert!(html.find("And macros").expect("quote") < html.find("Globex").expect("g"), "grouped by customer");
    assert!(!html.contains("Invoices"), "{html}");
}

on_both_backends!(onboarding_lists_progress_and_the_report_prints);
async fn onboarding_lists_progress_and_the_report_prints(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    ephemeral(app.slash("onboard me").await).await;
    for (customer, quote) in [("Acme", "canned replies"), ("Globex", "canned answers"), ("Initech", "saved replies")] {
        capture(&app, &format!("{customer} | chat | We need {quote}")).await;
    }
    capture(&app, "Acme | billing | Invoices are confusing").await;
    let browser = app.signed_in_browser().await;
    let (_, team) = page(&browser, &app, "/onboarding").await;
    assert!(team.contains(&format!("href=\"/onboarding/{}/report\"", crate::support::USER)), "{team}");
    assert!(team.contains("interviews 4/20") || team.contains("interviews 3/20"), "{team}");
    assert!(team.contains("<progress") && team.contains("<label for="), "labelled bars: {team}");
    let (status, report) = page(&browser, &app, &format!("/onboarding/{}/report", crate::support::USER)).await;
    assert_eq!(status, 200);
    assert!(report.contains("Month-end report: spengler"), "{report}");
    assert!(report.find("<h2>chat").expect("chat") < report.find("<h2>billing").expect("billing"), "{report}");
    assert!(report.contains("Backed"), "chat clears the bar: {report}");
    assert!(report.contains("We need saved replies"), "{report}");
    let css = get(&browser, &app, "/static/style.css").await.text().await.expect("css");
    assert!(css.contains("@media print") && css.contains("display: none"), "a print stylesheet");
    assert_eq!(page(&browser, &app, "/onboarding/U0NOBODY01/report").await.0, 404);
    assert_eq!(page(&browser, &app, "/onboarding/not-a-user/report").await.0, 404);
}

on_both_backends!(the_export_is_this_workspaces_csv);
async fn the_export_is_this_workspaces_csv(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | =cmd|' /C calc'!A0").await;
    capture(&app, "Globex | billing | Invoices are confusing").await;
    let browser = app.signed_in_browser().await;
    let resp = get(&browser, &app, "/export.csv").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
    assert!(resp.headers()["content-disposition"].to_str().expect("disposition").contains("attachment"));
    let body = resp.text().await.expect("csv");
    let mut rows = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = rows.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(header[..5], ["id", "customer", "area", "kind", "quote"]);
    let records: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(&records[0][1], "Acme");
    assert!(records[0][4].starts_with("'="), "formulas neutralised as the command line's: {:?}", &records[0][4]);
}

on_both_backends!(the_export_streams_every_highlight_of_the_workspace_in_order);
async fn the_export_streams_every_highlight_of_the_workspace_in_order(backend: TestBackend) {
    use highlights::reports::export::EXPORT_PAGE_ROWS;
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    let (other_customer, other_area) = other_workspace(&app).await;
    let pool = app.db.pool();
    let (interview, customer, area): (i64, i64, i64) =
        sqlx::query_as("select interview_id, customer_id, area_id from highlights").fetch_one(pool).await.expect("row");
    let other_interview: i64 = sqlx::query_scalar(
        "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
         values ($1, $2, 'U0OTHER001', '2026-11-02', 0) returning id",
    )
    .bind(OTHER_TEAM)
    .bind(other_customer)
    .fetch_one(pool)
    .await
    .expect("interview");
    // More than two pages, three highlights a moment (so pages end inside a
    // moment), quotes CSV must quote, and another workspace's highlights at
    // the same moments.
    let n = 2 * EXPORT_PAGE_ROWS + 10;
    let insert =
        "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at)
                  values ($1, $2, $3, $4, 'pain', $5, 'U0TEST0001', $6)";
    let mut tx = pool.begin().await.expect("tx");
    for k in 0..n {
        let at = 1_000_000 + k / 3;
        let quote = format!("Row {k}: \"quoted\", a comma,\nand a line break");
        let row = [(TEAM, interview, customer, area, quote)];
        let other =
            (k % 100 == 0).then(|| (OTHER_TEAM, other_interview, other_customer, other_area, format!("Umbrella {k}")));
        for (ws, interview, customer, area, quote) in row.into_iter().chain(other) {
            sqlx::query(insert)
                .bind(ws)
                .bind(interview)
                .bind(customer)
                .bind(area)
                .bind(quote)
                .bind(at)
                .execute(&mut *tx)
                .await
                .expect("highlight");
        }
    }
    tx.commit().await.expect("commit");
    let expected: Vec<(i64, String)> =
        sqlx::query_as("select id, quote from highlights where workspace_id = $1 order by created_at, id")
            .bind(TEAM)
            .fetch_all(pool)
            .await
            .expect("rows");
    assert_eq!(expected.len() as i64, n + 1);

    let browser = app.signed_in_browser().await;
    let resp = get(&browser, &app, "/export.csv").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-length").is_none(), "sent as it is read: {:?}", resp.headers());
    let body = resp.text().await.expect("csv");
    assert!(!body.contains("Umbrella"), "another workspace's highlights stay out");
    let mut rows = csv::Reader::from_reader(body.as_bytes());
    let records: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("a well-formed row")).collect();
    assert_eq!(records.len(), expected.len(), "every highlight, once");
    for (record, (id, quote)) in records.iter().zip(&expected) {
        assert_eq!((&record[0], &record[4]), (id.to_string().as_str(), quote.as_str()), "oldest first, quoted");
    }
}

on_both_backends!(slack_messages_carry_open_in_browser_links_when_the_library_is_on);
async fn slack_messages_carry_open_in_browser_links_when_the_library_is_on(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    ephemeral(app.slash("onboard me").await).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    app.drain().await;
    let id = app.customer_id("Acme").await;
    let customer_page = format!("<{PUBLIC_URL}/customers/{id}|Open in browser>");
    let posts = |needle: String| {
        app.slack.ok_calls_to("chat.postMessage").into_iter().filter(move |c| c.args.to_string().contains(&needle))
    };
    let parent = posts(customer_page.clone()).next().expect("the thread parent links to the customer's page");
    assert!(parent.args["thread_ts"].as_str().is_none_or(str::is_empty), "{:?}", parent.args);
    let view: Value = app.slash("customer Acme").await.json().await.expect("JSON");
    assert!(view.to_string().contains(&customer_page), "{view}");

    ephemeral(app.slash("digest").await).await;
    ephemeral(app.slash("report").await).await;
    app.drain().await;
    assert_eq!(posts(format!("<{PUBLIC_URL}/areas?since=")).count(), 1, "the digest links to its areas");
    let report = format!("<{PUBLIC_URL}/onboarding/{}/report|Open in browser>", crate::support::USER);
    assert_eq!(posts(report).count(), 1, "the report DM links to its page");

    // With the library off, no message links to it.
    let off = TestApp::spawn_on(backend).await;
    capture(&off, "Acme | chat | We need canned replies").await;
    off.drain().await;
    let view: Value = off.slash("customer Acme").await.json().await.expect("JSON");
    assert!(!view.to_string().contains("Open in browser"), "{view}");
    assert!(off.slack.calls_to("chat.postMessage").iter().all(|c| !c.args.to_string().contains("Open in browser")));
}

on_both_backends!(the_follow_toggle_on_a_customer_page_follows_and_unfollows);
async fn the_follow_toggle_on_a_customer_page_follows_and_unfollows(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    let id = app.customer_id("Acme").await;
    let (other, _) = other_workspace(&app).await;
    let browser = app.signed_in_browser().await;
    let (_, html) = page(&browser, &app, &format!("/customers/{id}")).await;
    assert!(html.contains(">Follow</button>"), "{html}");
    let token = csrf(&html);
    let path = format!("/customers/{id}/follow");

    // Without the session's token: refused, nothing changes.
    let refused = browser.post(app.url(&path)).form(&[("follow", "on")]).send().await.expect("answer");
    assert_eq!(refused.status(), 403);
    assert_eq!(app.count("follows").await, 0);

    let done = browser.post(app.url(&path)).form(&[("follow", "on"), ("csrf", &token)]).send().await.expect("answer");
    assert_eq!((done.status().as_u16(), location(&done)), (303, path.trim_end_matches("/follow")));
    let follower: String = sqlx::query_scalar("select user_id from follows where customer_id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .expect("follow");
    assert_eq!(follower, crate::support::USER, "the signed-in person follows");
    let (_, html) = page(&browser, &app, &format!("/customers/{id}")).await;
    assert!(html.contains(">Unfollow</button>"), "{html}");
    // Slack says the same: the person's `following` lists Acme.
    assert!(ephemeral(app.slash("following").await).await.contains("Acme"));

    // Another workspace's customer: not found, nothing followed.
    let foreign = format!("/customers/{other}/follow");
    let resp =
        browser.post(app.url(&foreign)).form(&[("follow", "on"), ("csrf", &token)]).send().await.expect("answer");
    assert_eq!(resp.status(), 404);
    assert_eq!(app.count("follows").await, 1);

    let done = browser.post(app.url(&path)).form(&[("follow", "off"), ("csrf", &token)]).send().await.expect("answer");
    assert_eq!(done.status(), 303);
    assert_eq!(app.count("follows").await, 0);
}
