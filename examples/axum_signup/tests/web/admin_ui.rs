//! `admit::axum::AdminUi` nested at `/admin`, on a free loopback port, driven over HTTP: list,
//! filters, pages, invite (link and short code once), detail, revoke, revoke by rule with its
//! confirmation, escaping, headers, and posts from another site refused. On memory and SQLite.

use admit::axum::{AdminActor, AdminUi};
use admit::store::{AnyStore, ShortCodes, Store, Visits};
use admit::{Error, Invitation, Issuer, SigningKey};
use reqwest::StatusCode;

struct Admin {
    base: String,
    store: AnyStore,
    issuer: Issuer,
    c: reqwest::Client,
}

async fn start(store: AnyStore) -> Admin {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = Issuer::new(SigningKey::from_bytes(&[5; 32]), "acme/invite").unwrap();
    // No mount point given: the pages learn it from axum's `NestedPath`.
    let ui = AdminUi::new(store.clone(), issuer.clone(), &format!("{base}/join"))
        .unwrap()
        .sign_out("/logout")
        .joiner_labels(|joiners: Vec<String>| async move {
            joiners
                .iter()
                .map(|j| (j == "alice").then(|| "alice@<example>.test".to_owned()))
                .collect()
        });
    // The signed-in admin, as an application's authentication would name them.
    let signed_in = axum::Extension(AdminActor::new("admin:<ada>"));
    let app = axum::Router::new().nest("/admin", ui.router().layer(signed_in));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Admin {
        base,
        store,
        issuer,
        c,
    }
}

impl Admin {
    async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .c
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("style-src 'sha512-"), "{csp}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        (res.status(), res.text().await.unwrap())
    }

    /// A form post from the admin's own page (its origin).
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        self.post_from(path, form, ("origin", &self.base)).await
    }

    async fn post_from(
        &self,
        path: &str,
        form: &[(&str, &str)],
        (name, value): (&str, &str),
    ) -> (StatusCode, String) {
        let res = self
            .c
            .post(format!("{}{path}", self.base))
            .header(name, value)
            .form(form)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    /// Mints through the form; the link, the short code and the ID the page shows.
    async fn invite(&self, form: &[(&str, &str)]) -> (String, String, String) {
        let (status, body) = self.post("/admin/invitations", form).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let between = |start: &str, end: &str| {
            let from = body
                .find(start)
                .unwrap_or_else(|| panic!("{start}: {body}"))
                + start.len();
            body[from..from + body[from..].find(end).unwrap()].to_owned()
        };
        (
            between("id=\"invitation-link\" href=\"", "\""),
            between("<code id=\"invitation-code\">", "<"),
            between("<span id=\"invitation-id\" class=\"id\">", "<"),
        )
    }

    fn verified(&self, link: &str) -> Invitation {
        self.issuer.verifier().verify_url(link).unwrap()
    }
}

async fn every_page_and_action(store: AnyStore) {
    let a = start(store).await;
    let (status, body) = a.get("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("None found"), "{body}");
    assert!(body.contains("<html lang=\"en\">"));
    // Every page links within the mount point, and signs out where the application said.
    assert!(body.contains("href=\"/admin/new\""), "{body}");
    assert!(
        body.contains("<form method=\"post\" action=\"/logout\">"),
        "{body}"
    );
    // An empty invite form makes a one-time link for 7 days.
    let (_, form) = a.get("/admin/new").await;
    assert!(
        form.contains("name=\"max_uses\" inputmode=\"numeric\" pattern=\"[0-9]*\" value=\"1\""),
        "{form}"
    );

    // Invite: the link (from the configured join URL) and a short code, shown once.
    let (link, code, id) = a
        .invite(&[
            ("email", "Ada@Example.com"),
            ("max_uses", "2"),
            ("days", "7"),
            ("inviter", "grace"),
            ("description", "<script>alert(1)</script>"),
        ])
        .await;
    assert!(
        link.starts_with(&format!("{}/join?invitation=", a.base)),
        "{link}"
    );
    let inv = a.verified(&link);
    assert_eq!(inv.id().to_string(), id);
    assert_eq!(inv.email(), Some("ada@example.com"));
    assert_eq!(
        a.store.resolve_code(&code).await.unwrap(),
        admit::find_token(&link).unwrap()
    );

    // The list: escaped, with uses, a readable expiry and the state.
    let (_, body) = a.get("/admin").await;
    assert!(body.contains(&id) && body.contains("0 of 2") && body.contains("grace"));
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(body.contains(" UTC (in 6 days)"), "{body}");
    assert!(body.contains("title=\"active\">active</span>"), "{body}");
    // Long values are cut in the list (the full value is in the title and the detail page).
    assert!(body.contains("class=\"cut\" title=\"grace\""), "{body}");

    // Detail: joiners and visits appear as the store records them.
    a.store.redeem(&inv, "alice").await.unwrap();
    a.store.record_visit(&inv, "ua=<b>test</b>").await.unwrap();
    let (status, body) = a.get(&format!("/admin/i/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("1 of 2") && body.contains("alice"), "{body}");
    // The joiner with the label the application gave, escaped.
    assert!(body.contains("alice@&lt;example&gt;.test"), "{body}");
    assert!(body.contains("ua=&lt;b&gt;test&lt;/b&gt;"), "{body}");
    let (status, _) = a.get("/admin/i/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A one-time invitation used up, and another revoked from its page.
    let (once, _, once_id) = a
        .invite(&[("max_uses", "1"), ("inviter", "alan"), ("days", "3")])
        .await;
    a.store.redeem(&a.verified(&once), "bob").await.unwrap();
    let (_, _, gone_id) = a.invite(&[("inviter", "alan")]).await;
    // Revoking asks first, and asking changes nothing.
    let (status, body) = a.post(&format!("/admin/i/{gone_id}/revoke"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Confirm: revoke this invitation"), "{body}");
    assert!(body.contains("name=\"confirm\" value=\"yes\""), "{body}");
    let gone = a.store.status(gone_id.parse().unwrap()).await.unwrap();
    assert!(gone.revoked_at.is_none());
    let (status, body) = a
        .post(&format!("/admin/i/{gone_id}/revoke"), &[("confirm", "yes")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("no longer works"), "{body}");
    let (_, body) = a.get(&format!("/admin/i/{gone_id}")).await;
    assert!(body.contains("revoked") && !body.contains("Revoke this invitation"));

    // Filters.
    let (_, body) = a.get("/admin?state=used_up").await;
    assert!(body.contains(&once_id) && !body.contains(&id) && !body.contains(&gone_id));
    let (_, body) = a.get("/admin?state=revoked").await;
    assert!(
        body.contains(&gone_id) && !body.contains(&once_id),
        "{body}"
    );
    let (_, body) = a.get("/admin?inviter=grace").await;
    assert!(body.contains(&id) && !body.contains(&once_id));
    let (_, body) = a.get("/admin?state=active").await;
    assert!(body.contains(&id) && !body.contains(&once_id) && !body.contains(&gone_id));

    // Revoke by rule: a confirmation step first, which changes nothing.
    let (status, body) = a.post("/admin/rules", &[("inviter", "grace")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<strong>grace</strong>'s"), "{body}");
    // It counts what it will revoke: grace's one active invitation.
    assert!(
        body.contains("<strong>1 active invitation</strong>"),
        "{body}"
    );
    assert_eq!(a.store.check(&inv).await, Ok(()));
    let before = {
        let from = body.find("name=\"before\" value=\"").unwrap() + 21;
        body[from..from + body[from..].find('"').unwrap()].to_owned()
    };
    let (status, body) = a
        .post(
            "/admin/rules",
            &[
                ("inviter", "grace"),
                ("before", &before),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(a.store.check(&inv).await, Err(Error::Revoked));
    let (_, body) = a.get("/admin/rules").await;
    assert!(body.contains("by grace"), "{body}");
    let (_, body) = a.get("/admin?state=revoked_by_rule").await;
    assert!(body.contains(&id) && !body.contains(&once_id), "{body}");
    // "Revoked" covers both ways of revoking.
    let (_, body) = a.get("/admin?state=revoked").await;
    assert!(
        body.contains(&id) && body.contains(&gone_id) && !body.contains(&once_id),
        "{body}"
    );
    // Search: the start of an email or an inviter, in any case.
    let (_, body) = a.get("/admin?q=ADA%40").await;
    assert!(body.contains(&id) && !body.contains(&once_id), "{body}");
    let (_, body) = a.get("/admin?q=Al").await;
    assert!(
        body.contains(&once_id) && body.contains(&gone_id) && !body.contains(&id),
        "{body}"
    );
    let (_, body) = a.get("/admin?q=lan").await;
    assert!(
        body.contains("None found (0 matching)"),
        "a prefix, not a substring: {body}"
    );
    let (_, body) = a.get("/admin?q=al&state=used_up").await;
    assert!(body.contains("Showing 1 used up of 2 matching"), "{body}");
    // A confirmation with a cut-off in the future (or none) revokes nothing.
    let future = ((time::OffsetDateTime::now_utc().unix_timestamp() + 3600) * 1000).to_string();
    let (status, _) = a
        .post("/admin/rules", &[("before", &future), ("confirm", "yes")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.store.revocation_rules().await.unwrap().len(), 1);

    // Bad values are answered on the form, and nothing is minted.
    // Bad values are answered on the form, which keeps what was typed; nothing is minted.
    for (field, value) in [
        ("max_uses", "0"),
        ("days", "soon"),
        ("email", "not an address"),
    ] {
        let typed = [(field, value), ("description", "kept \"as typed\"")];
        let (status, body) = a.post("/admin/invitations", &typed).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert!(body.contains("role=\"alert\""), "{body}");
        assert!(
            body.contains("value=\"kept &quot;as typed&quot;\""),
            "{body}"
        );
        let shown = format!("name=\"{field}\"");
        let at = body.find(&shown).unwrap();
        assert!(body[at..].contains(&format!("value=\"{value}\"")), "{body}");
    }
    let (_, body) = a.get("/admin").await;
    assert!(
        body.contains("Showing 3 of 3 recorded (first page)"),
        "{body}"
    );

    // The audit trail: who revoked what, the rule, each invitation's timeline.
    let (status, body) = a.get("/admin/activity?kind=revoked").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&gone_id), "{body}");
    assert!(
        body.contains("admin:&lt;ada&gt;"),
        "the actor, escaped: {body}"
    );
    assert!(!body.contains(&once_id), "{body}");
    let (_, body) = a.get("/admin/activity?kind=rule_added").await;
    assert!(
        body.contains("revokes everything grace issued before"),
        "{body}"
    );
    let (_, body) = a
        .get(&format!("/admin/activity?invitation={once_id}"))
        .await;
    assert!(
        body.contains("redeemed") && body.contains("exhausted"),
        "{body}"
    );
    let (_, body) = a.get("/admin/activity").await;
    assert!(
        body.contains("issued") && body.contains("Activity"),
        "{body}"
    );
    let (_, body) = a.get(&format!("/admin/i/{gone_id}")).await;
    assert!(
        body.contains("Timeline (3)"),
        "issued, code_created, revoked: {body}"
    );
    let (status, body) = a.get("/admin/activity?after=junk&kind=nope").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("damaged") && body.contains("Unknown kind"),
        "{body}"
    );
}

/// Forms posted from another site (or a page on another subdomain) change nothing.
async fn cross_site_posts_change_nothing(store: AnyStore) {
    let a = start(store).await;
    let (_, _, id) = a.invite(&[("max_uses", "5")]).await;
    for from in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let (status, _) = a
            .post_from("/admin/invitations", &[("max_uses", "1")], from)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{from:?}");
        let (status, _) = a
            .post_from(
                &format!("/admin/i/{id}/revoke"),
                &[("confirm", "yes")],
                from,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{from:?}");
        let (status, _) = a
            .post_from("/admin/rules", &[("confirm", "yes")], from)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{from:?}");
    }
    let (_, body) = a.get("/admin").await;
    assert!(
        body.contains("Showing 1 of 1 recorded (first page)") && body.contains("active"),
        "{body}"
    );
    assert!(a.store.revocation_rules().await.unwrap().is_empty());
}

fn rows(body: &str) -> usize {
    body.matches("data-label=\"ID\"").count()
}

/// The path of the page's "Next page" link, if it has one.
fn next_link(body: &str) -> Option<String> {
    let end = body.find("\">Next page")?;
    let start = body[..end].rfind("href=\"")? + "href=\"".len();
    Some(body[start..end].replace("&amp;", "&"))
}

/// Records `n` invitations expiring an hour apart, the first in an hour.
async fn record_many(a: &Admin, n: i64) -> Vec<Invitation> {
    let mut all = Vec::new();
    for i in 0..n {
        let token = a
            .issuer
            .mint(Invitation::builder().ttl(time::Duration::hours(1 + i)))
            .unwrap();
        a.store
            .record_issued(token.invitation(), None)
            .await
            .unwrap();
        all.push(token.invitation().clone());
    }
    all
}

/// More than a page: 50 a page, each linking to the next, every invitation once.
async fn pages_of_fifty(store: AnyStore) {
    let a = start(store).await;
    let all = record_many(&a, 120).await;
    // Newest first by default: the last recorded (in its second, the highest ID) on top.
    let (_, newest) = a.get("/admin").await;
    assert!(newest.contains("<strong>newest first</strong>"), "{newest}");
    assert_eq!(rows(&newest), 50);
    let (_, first) = a.get("/admin?order=expiry").await;
    assert_eq!(rows(&first), 50);
    assert!(
        first.contains("Showing 50 of 120 recorded (first page)"),
        "{first}"
    );
    assert!(!first.contains("First page"), "{first}");
    let (_, second) = a.get(&next_link(&first).expect("a next page")).await;
    assert_eq!(rows(&second), 50);
    assert!(second.contains("First page"), "{second}");
    let (_, last) = a.get(&next_link(&second).expect("a third page")).await;
    assert_eq!(rows(&last), 20);
    assert_eq!(next_link(&last), None, "{last}");
    // Each invitation on exactly one page, soonest expiry first.
    let listed: String = [first, second, last].concat();
    let mut at = 0;
    for i in &all {
        let found = listed[at..].find(&format!("title=\"{}\"", i.id())).unwrap();
        at += found + 1;
    }
    let (status, body) = a.get("/admin?after=not-a-cursor").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not valid"), "{body}");
}

/// A state filter finds what lies past the first 1,000, and the expired filter lists what
/// expired while the store remembers it.
async fn filters_past_a_thousand(store: AnyStore) {
    let a = start(store).await;
    let all = record_many(&a, 1030).await;
    for i in &all[1025..] {
        a.store.revoke(i.id(), i.expires_at()).await.unwrap();
    }
    let (_, revoked) = a.get("/admin?state=revoked").await;
    assert_eq!(rows(&revoked), 5, "{revoked}");
    assert_eq!(next_link(&revoked), None);
    let (_, active) = a.get("/admin?state=active&order=expiry").await;
    assert_eq!(rows(&active), 50);
    assert!(active.contains(&all[0].id().to_string()));

    // Issued 40 minutes ago for 30: expired 10 minutes ago.
    let now = time::OffsetDateTime::now_utc();
    let builder = Invitation::builder()
        .inviter("grace")
        .ttl(time::Duration::minutes(30));
    let expired = a
        .issuer
        .mint_with_id(
            builder,
            admit::InvitationId::from_bytes([7; 12]),
            now - time::Duration::minutes(40),
        )
        .unwrap();
    a.store
        .record_issued(expired.invitation(), Some("old"))
        .await
        .unwrap();
    let id = expired.invitation().id().to_string();
    let (_, listed) = a.get("/admin?state=expired").await;
    assert_eq!(rows(&listed), 1, "{listed}");
    assert!(
        listed.contains(&id) && listed.contains(">expired<"),
        "{listed}"
    );
    let (_, default) = a.get("/admin").await;
    assert!(!default.contains(&id), "expired ones only on request");
}

/// More than 10,000 to look through for a filter: the page says so and links on.
async fn a_search_that_runs_out(store: AnyStore) {
    let a = start(store).await;
    let all = record_many(&a, 10_050).await;
    let last = all.last().unwrap();
    a.store.revoke(last.id(), last.expires_at()).await.unwrap();
    let (_, first) = a.get("/admin?state=revoked&order=expiry").await;
    assert_eq!(rows(&first), 0);
    assert!(first.contains("Looked through 10,000"), "{first}");
    let (_, next) = a.get(&next_link(&first).expect("a next page")).await;
    assert_eq!(rows(&next), 1, "{next}");
    assert!(next.contains(&last.id().to_string()));
    assert_eq!(next_link(&next), None);
}

/// The Funnel page: the chart and a row per inviter, the numbers the store counts, escaped
/// names, a custom period, and bad periods answered on the page.
async fn funnel_page(store: AnyStore) {
    let a = start(store).await;
    let mut grace = Vec::new();
    for inviter in ["grace", "grace", "grace", "<linus>"] {
        let token = a
            .issuer
            .mint(Invitation::builder().inviter(inviter).max_uses(5))
            .unwrap();
        a.store
            .record_issued(token.invitation(), None)
            .await
            .unwrap();
        grace.push(token.invitation().clone());
    }
    a.store.record_visit(&grace[0], "x").await.unwrap();
    a.store.redeem(&grace[1], "u1").await.unwrap();
    a.store.redeem(&grace[1], "u2").await.unwrap();

    let (status, body) = a.get("/admin/funnel").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<svg viewBox="), "{body}");
    assert!(
        body.contains("Issued 4, opened 2 (50.0%), redeemed 1 (25.0% of issued)"),
        "the chart's title: {body}"
    );
    let row = |name: &str| {
        let start = body.find(name).unwrap_or_else(|| panic!("{name}: {body}"));
        let end = start + body[start..].find("</tr>").unwrap();
        body[start..end].to_owned()
    };
    let everyone = row(">Everyone</th>");
    assert!(
        everyone.contains(">4</td>") && everyone.contains(">2</td>"),
        "{everyone}"
    );
    let g = row(">grace</a>");
    assert!(
        g.contains(">3</td>") && g.contains("66.7%") && g.contains("33.3%"),
        "{g}"
    );
    assert!(body.contains("&lt;linus&gt;"), "escaped: {body}");
    assert!(!body.contains("<linus>"), "{body}");
    // One inviter; a custom period that holds nothing; bad input on the page.
    let (_, body) = a.get("/admin/funnel?inviter=grace&days=7").await;
    assert!(body.contains("Issued 3, opened 2"), "{body}");
    assert!(!body.contains(">Everyone</th>"), "{body}");
    let (_, body) = a.get("/admin/funnel?from=2020-01-01&to=2020-01-31").await;
    assert!(
        body.contains("2020-01-01 00:00") && body.contains("2020-02-01 00:00"),
        "{body}"
    );
    assert!(body.contains("No invitation was issued"), "{body}");
    for (query, says) in [
        ("days=9", "Unknown period"),
        ("from=2020-02-01&to=2020-01-01", "must end after it starts"),
        ("from=yesterday&to=2020-01-01", "YYYY-MM-DD"),
    ] {
        let (status, body) = a.get(&format!("/admin/funnel?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(
            body.contains(says) && body.contains("Issued 4"),
            "{query}: {body}"
        );
    }
    let long = "x".repeat(65);
    let (status, body) = a.get(&format!("/admin/funnel?inviter={long}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No inviter has that name"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_on_memory() {
    let store = || async { AnyStore::connect("memory:").await.unwrap() };
    every_page_and_action(store().await).await;
    cross_site_posts_change_nothing(store().await).await;
    pages_of_fifty(store().await).await;
    filters_past_a_thousand(store().await).await;
    a_search_that_runs_out(store().await).await;
    funnel_page(store().await).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_on_sqlite() {
    let dir = admit_test_servers::TempDir::new("admin-sqlite");
    let store = |name: &str| {
        let url = format!("sqlite://{}", dir.path().join(name).display());
        async move {
            AnyStore::builder()
                .create_if_missing()
                .connect(&url)
                .await
                .unwrap()
        }
    };
    every_page_and_action(store("a.db").await).await;
    cross_site_posts_change_nothing(store("b.db").await).await;
    pages_of_fifty(store("c.db").await).await;
    filters_past_a_thousand(store("d.db").await).await;
    funnel_page(store("e.db").await).await;
}
