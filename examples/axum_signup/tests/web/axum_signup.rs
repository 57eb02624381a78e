//! The axum sign-up example, run on a free loopback port and driven over HTTP: visit → sign up
//! → a second sign-up refused → a revoked link refused; and the `Invited` extractor's answers.

use std::sync::Arc;

use admit::store::AnyStore;
use admit::{Invitation, SigningKey};
use reqwest::StatusCode;

pub use ::axum_signup as app;

pub const ADMIN: &str = "admin-secret";

pub(crate) async fn start() -> (String, Arc<app::App>) {
    start_on(AnyStore::connect("memory:").await.unwrap(), "accounts").await
}

/// The app on `store` (accounts in `table` when it is SQL), served on a free loopback port.
pub async fn start_on(store: AnyStore, table: &str) -> (String, Arc<app::App>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let key = SigningKey::from_bytes(&[3; 32]);
    let app = Arc::new(
        app::App::new(key, store, ADMIN.into(), &base, table)
            .await
            .unwrap(),
    );
    tokio::spawn(app::serve(app.clone(), listener));
    (base, app)
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client signed in as the admin (its session cookie, and its pages' origin, on every
/// request).
pub(crate) async fn admin_client(base: &str) -> reqwest::Client {
    let res = client()
        .post(format!("{base}/login"))
        .form(&[("password", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", session.parse().unwrap());
    headers.insert("origin", base.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Mints through the admin page (with an admin client) and returns (link, id).
async fn invite(c: &reqwest::Client, base: &str, form: &[(&str, &str)]) -> (String, String) {
    let mut form = form.to_vec();
    form.push(("inviter", "admin"));
    let res = c
        .post(format!("{base}/admin/invitations"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = res.text().await.unwrap();
    let between = |start: &str, end: &str| {
        let from = body.find(start).unwrap() + start.len();
        body[from..from + body[from..].find(end).unwrap()].to_owned()
    };
    (
        between("id=\"invitation-link\" href=\"", "\""),
        between("<span id=\"invitation-id\" class=\"id\">", "<"),
    )
}

fn assert_no_referrer(res: &reqwest::Response) {
    assert_eq!(
        res.headers()
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
}

async fn sign_up(
    c: &reqwest::Client,
    base: &str,
    link: &str,
    email: &str,
    name: &str,
) -> (StatusCode, String) {
    let token = admit::find_token(link).unwrap().into_owned();
    let res = c
        .post(format!("{base}/join"))
        .form(&[
            ("invitation", token.as_str()),
            ("email", email),
            ("name", name),
        ])
        .send()
        .await
        .unwrap();
    assert_no_referrer(&res);
    (res.status(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_flow_over_http() {
    let (base, app) = start().await;
    sign_up_flow(&base, &app).await;
}

/// Visit, sign up, refusals, revocation and the admin list, over HTTP.
async fn sign_up_flow(base: &str, app: &app::App) {
    let base = base.to_owned();
    let accounts_before = app.account_count().await.unwrap();

    // Admin pages need a signed-in admin: a wrong password is refused, and so is a forged
    // session.
    let res = client().get(format!("{base}/admin")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
    let res = client()
        .post(format!("{base}/login"))
        .form(&[("password", "admin-secreT")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get("set-cookie").is_none());
    let res = client()
        .post(format!("{base}/admin/invitations"))
        .header(
            "cookie",
            "admit_admin=00112233445566778899aabb00112233445566778899aabb",
        )
        .form(&[("max_uses", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let c = admin_client(&base).await;

    // An email-bound one-time invitation: visiting shows the form, the address locked in.
    let (link, id) = invite(
        &c,
        &base,
        &[
            ("email", "Ada@Example.com"),
            ("max_uses", "1"),
            ("description", "Ada"),
        ],
    )
    .await;
    let res = c
        .get(&link)
        .header("user-agent", "test-browser")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_no_referrer(&res);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("value=\"ada@example.com\" readonly"),
        "{body}"
    );
    // Visiting used nothing up (a mail scanner may have fetched it too).
    let res = c.get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Signing up with another address is refused; with the invited one, it works.
    let (status, body) = sign_up(&c, &base, &link, "eve@example.com", "Eve").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("can't be used with that address"), "{body}");
    // An address that is not one gets its own page, and uses nothing up.
    for typed in [
        "<ada>@example.com",
        "ada@exa\u{202e}mple.com",
        "\u{212a}ate@example.com",
    ] {
        let (status, body) = sign_up(&c, &base, &link, typed, "Ada").await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed:?}: {body}"
        );
        assert!(body.contains("not an email address"), "{body}");
    }
    let (status, body) = sign_up(&c, &base, &link, "ada@example.com", "Ada").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("Welcome"));

    // Back again with the same link and address: that person already joined, and is told
    // so (to sign in); the link is used up for everyone else.
    let (status, again) = sign_up(&c, &base, &link, "ada@example.com", "Ada again").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert!(again.contains("You have already joined"), "{again}");
    let res = c.get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("You have already joined")
    );
    let (status, _) = sign_up(&c, &base, &link, "eve@example.com", "Eve").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An open one-time link: the second person is refused.
    let (open, _) = invite(&c, &base, &[("max_uses", "1")]).await;
    let (status, _) = sign_up(&c, &base, &open, "bob@example.com", "Bob").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = sign_up(&c, &base, &open, "carol@example.com", "Carol").await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("already been used"));
    assert_eq!(app.account_count().await.unwrap() - accounts_before, 2);
    // An open link and an address that has an account (joined another way): its own page.
    let (multi, _) = invite(&c, &base, &[("max_uses", "5")]).await;
    let (status, body) = sign_up(&c, &base, &multi, "Bob@example.com", "Bob").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("This address already has an account"),
        "{body}"
    );
    // The name is counted in characters, as the browser counts it: 100 of them, 200 bytes.
    let long = "é".repeat(100);
    let (status, body) = sign_up(&c, &base, &multi, "erin@example.com", &long).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = sign_up(&c, &base, &multi, "finn@example.com", &"é".repeat(101)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A revoked link is refused, on visit and on sign-up.
    let (revoked, revoked_id) = invite(&c, &base, &[("max_uses", "5")]).await;
    let res = c
        .post(format!("{base}/admin/i/{revoked_id}/revoke"))
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c.get(&revoked).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("withdrawn"));
    let (status, _) = sign_up(&c, &base, &revoked, "dan@example.com", "Dan").await;
    assert_eq!(status, StatusCode::GONE);

    // Invalid, missing and expired links get their own pages.
    let res = c
        .get(format!("{base}/join?invitation=garbage"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_no_referrer(&res);
    assert!(res.text().await.unwrap().contains("not valid"));
    let res = c.get(format!("{base}/join")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let old = app
        .issuer
        .mint_at(
            Invitation::builder().ttl(time::Duration::hours(1)),
            time::OffsetDateTime::now_utc() - time::Duration::days(1),
        )
        .unwrap();
    let res = c
        .get(old.url(&format!("{base}/join")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("expired"));

    // The admin list shows use counts.
    let res = c.get(format!("{base}/admin")).send().await.unwrap();
    let body = res.text().await.unwrap();
    assert!(body.contains(&id), "{body}");
    assert!(body.contains("1 of 1"));
    assert!(body.contains("0 of 5"));
    // Expiry as people read it: a 7-day invitation expires "in 6 days" (and some hours).
    assert!(body.contains(" UTC (in 6 days)"), "{body}");
    assert!(body.contains("revoked"));
    assert!(body.contains("used up"), "{body}");

    // A rule (every invitation of the admin's, issued before now) shows as such.
    use admit::store::Store;
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    app.store
        .revoke_issued_before(time::OffsetDateTime::now_utc(), Some("admin"))
        .await
        .unwrap();
    let res = c.get(format!("{base}/admin")).send().await.unwrap();
    let body = res.text().await.unwrap();
    assert!(
        body.contains("revoked: issued before ") && body.contains("by &quot;admin&quot;"),
        "{body}"
    );
    let res = c.get(&open).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
}

/// 600 sign-ups at once on one five-use link, three in four of them failing (no name, not an
/// address, an address already taken): exactly five accounts, and the store counts five.
async fn concurrent_sign_ups(base: &str, app: &app::App) {
    use admit::store::Store;
    let c = admin_client(base).await;
    let (link, _) = invite(&c, base, &[("max_uses", "5")]).await;
    let before = app.account_count().await.unwrap();
    let tasks: Vec<_> = (0..600)
        .map(|i| {
            let (c, base, link) = (c.clone(), base.to_owned(), link.clone());
            tokio::spawn(async move {
                let (email, name) = match i % 4 {
                    0 => (format!("p{i}@example.com"), ""),
                    1 => (format!("p{i} at example.com"), "P"),
                    2 => ("taken@example.com".to_owned(), "P"),
                    _ => (format!("p{i}@example.com"), "P"),
                };
                sign_up(&c, &base, &link, &email, name).await.0
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert!(
            [
                StatusCode::CREATED,
                // "taken@" again, after it joined with this link: "you have already joined".
                StatusCode::OK,
                StatusCode::CONFLICT,
                StatusCode::GONE,
                StatusCode::FORBIDDEN,
                StatusCode::UNPROCESSABLE_ENTITY
            ]
            .contains(&status),
            "{status}"
        );
        created += usize::from(status == StatusCode::CREATED);
    }
    assert_eq!(created, 5);
    assert_eq!(app.account_count().await.unwrap() - before, 5);
    let inv = app
        .verifier
        .verify(&admit::find_token(&link).unwrap())
        .unwrap();
    let status = app.store.status(inv.id()).await.unwrap();
    assert_eq!((status.uses, status.joiners.len()), (5, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sign_ups_on_memory() {
    let (base, app) = start().await;
    concurrent_sign_ups(&base, &app).await;
}

/// On SQLite the account and the redemption are one transaction.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_flow_on_sqlite() {
    let dir = admit_test_servers::TempDir::new("axum-sqlite");
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let store = AnyStore::builder()
        .create_if_missing()
        .deadline(std::time::Duration::from_secs(30))
        .connect(&url)
        .await
        .unwrap();
    let (base, app) = start_on(store, "accounts").await;
    // The flow ends with a rule revoking every invitation minted so far: run it last.
    concurrent_sign_ups(&base, &app).await;
    sign_up_flow(&base, &app).await;
}

/// On PostgreSQL too.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_flow_on_postgres() {
    let Some(url) = tokio::task::spawn_blocking(admit_test_servers::postgres_url)
        .await
        .unwrap()
    else {
        return;
    };
    let prefix = admit_test_servers::unique_table_prefix();
    let store = AnyStore::builder()
        .prefix(prefix.clone())
        .deadline(std::time::Duration::from_secs(30))
        .create_if_missing()
        .connect(&url)
        .await
        .unwrap();
    let (base, app) = start_on(store, &format!("{prefix}accounts")).await;
    // The flow ends with a rule revoking every invitation minted so far: run it last.
    concurrent_sign_ups(&base, &app).await;
    sign_up_flow(&base, &app).await;
}

/// Every response carries the headers that keep a page with a token in its URL safe: no
/// framing, no other origin's resources, no referrer, no caching.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_security_headers() {
    let (base, _app) = start().await;
    let c = client();
    for path in [
        "/",
        "/join?invitation=garbage",
        "/join",
        "/admin",
        "/no-such-page",
    ] {
        let res = c.get(format!("{base}{path}")).send().await.unwrap();
        let h = res.headers();
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        let csp = get("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert_eq!(get("x-frame-options"), "DENY", "{path}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(get("cache-control"), "no-store", "{path}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        // Plain http here: no HSTS (it is sent when the public URL is https).
        assert_eq!(get("strict-transport-security"), "", "{path}");
    }
    let page = c
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("name=\"viewport\""));
    let css = c.get(format!("{base}/style.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

/// A sign-up form posted from another site is refused before anything happens; links are built
/// from the configured public URL, never from the request's `Host`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused() {
    let (base, app) = start().await;
    let admin = admin_client(&base).await;
    let res = admin
        .post(format!("{base}/admin/invitations"))
        .header("host", "evil.example")
        .form(&[("max_uses", "5")])
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(
        body.contains(&format!("href=\"{base}/join?invitation=")),
        "{body}"
    );
    let (link, _) = invite(&admin, &base, &[("max_uses", "5")]).await;
    let token = admit::find_token(&link).unwrap().into_owned();
    let c = client();
    let form = [
        ("invitation", token.as_str()),
        ("email", "mallory@example.com"),
        ("name", "Mallory"),
    ];
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = c
            .post(format!("{base}/join"))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{header}: {value}");
        assert!(res.headers().contains_key("content-security-policy"));
    }
    assert_eq!(app.account_count().await.unwrap(), 0);
    // From the service's own page (its origin), the same form works.
    let res = c
        .post(format!("{base}/join"))
        .header("origin", base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.account_count().await.unwrap(), 1);
}

/// A client whose connections come from `ip` (any 127.x.y.z is this machine's loopback).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn sign_in(
    c: &reqwest::Client,
    base: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let mut request = c
        .post(format!("{base}/login"))
        .form(&[("password", password)]);
    if let Some(device) = device {
        request = request.header("cookie", device);
    }
    request.send().await.unwrap()
}

/// Signing out ends the session. Guessing the password stays at 10 tries a minute for everyone
/// together, however many addresses the guesses come from, and an address backs off after 3
/// wrong ones in a row; but the admin's own browser (its device cookie from an earlier
/// sign-in) still gets in: nobody can lock the admin out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_and_guessing_is_limited_without_locking_the_admin_out() {
    let (base, app) = start().await;
    let admin = admin_client(&base).await;
    let res = admin.get(format!("{base}/admin")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.contains("Sign out"), "on every admin page: {body}");
    let res = admin.post(format!("{base}/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let res = admin.get(format!("{base}/admin")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );

    // The admin's browser signs in and becomes a trusted device.
    let res = sign_in(&client_from("127.0.0.1"), &base, ADMIN, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let device = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("admit_device="))
        .expect("a device cookie")
        .to_owned();
    assert!(
        device.contains("HttpOnly") && device.contains("Path=/login"),
        "{device}"
    );
    let device = device.split(';').next().unwrap().to_owned();
    assert_eq!(
        app.throttle.device_count(),
        2,
        "admin_client's and this one"
    );

    // One address: 3 wrong guesses, then it must wait (and the wait is said).
    let outsider = client_from("127.0.0.2");
    for i in 0..3 {
        let res = sign_in(&outsider, &base, &format!("guess-{i}"), None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = sign_in(&outsider, &base, "guess-3", None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "2");

    // Many addresses together: the shared budget of 10 a minute runs out within 21 guesses
    // (a new minute may begin in between), and then even the right password waits there.
    let mut refused_at = None;
    for i in 0..21 {
        let res = sign_in(
            &client_from(&format!("127.0.1.{}", i + 1)),
            &base,
            "guess",
            None,
        )
        .await;
        match res.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                refused_at = Some(i);
                break;
            }
            other => panic!("try {i}: {other}"),
        }
    }
    assert!(refused_at.is_some_and(|i| i <= 20), "{refused_at:?}");
    let res = sign_in(&client_from("127.0.2.1"), &base, ADMIN, None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("set-cookie").is_none());
    // A made-up device cookie is no better.
    let res = sign_in(
        &client_from("127.0.2.2"),
        &base,
        ADMIN,
        Some("admit_device=0123"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // The admin's browser gets in all the same, from any address.
    let res = sign_in(&client_from("127.0.0.3"), &base, ADMIN, Some(&device)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin");
}

/// The extractor alone: verified invitations reach the handler, everything else gets a status.
#[tokio::test]
async fn invited_extractor_statuses() {
    use admit::axum::Invited;
    use axum::Router;
    use axum::routing::get;

    let issuer = crate::issuer();
    let verifier = Arc::new(issuer.verifier());
    let router: Router = Router::new()
        .route(
            "/join",
            get(|Invited(inv): Invited| async move { inv.id().to_string() }),
        )
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/join", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let c = client();

    let token = issuer.mint(Invitation::builder()).unwrap();
    let res = c.get(token.url(&base).unwrap()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        token.invitation().id().to_string()
    );

    let expired = issuer
        .mint_at(
            Invitation::builder().ttl(time::Duration::seconds(5)),
            time::OffsetDateTime::now_utc() - time::Duration::hours(1),
        )
        .unwrap();
    let other_context = admit::Issuer::new(crate::key(1), "acme/other")
        .unwrap()
        .mint(Invitation::builder())
        .unwrap();
    for (url, status) in [
        (base.clone(), StatusCode::BAD_REQUEST),
        (format!("{base}?x=1"), StatusCode::BAD_REQUEST),
        (format!("{base}?invitation=AAAA"), StatusCode::BAD_REQUEST),
        (
            format!("{base}?invitation=a&invitation=b"),
            StatusCode::BAD_REQUEST,
        ),
        (expired.url(&base).unwrap(), StatusCode::GONE),
        (other_context.url(&base).unwrap(), StatusCode::FORBIDDEN),
    ] {
        let res = c.get(&url).send().await.unwrap();
        assert_eq!(res.status(), status, "{url}");
        assert_no_referrer(&res);
        let body = res.text().await.unwrap();
        assert!(!body.contains("AAAA") && body.len() < 100, "{body}");
    }
}
