//! The sign-up app and its admin pages in a real browser: headless Chromium driven over
//! WebDriver (chromedriver, from Debian's `chromium-driver`). Sign in → invite → open the link →
//! join → the same link refused → revoke → the link shows "withdrawn", with a screenshot of each
//! page under `target/screenshots/`.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use admit::store::AnyStore;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// chromedriver on a free loopback port, stopped on drop.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the browser and its driver are installed; under `CI=true` they must be.
pub(crate) fn browser_available() -> bool {
    let found = ["chromedriver", "chromium"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium and chromedriver are required under CI=true (apt-get install chromium \
             chromium-driver)"
        );
        eprintln!(
            "!!! SKIPPED: chromium or chromedriver not found; the browser test did not run !!!"
        );
    }
    found
}

pub(crate) fn start_driver() -> Driver {
    let port = admit_test_servers::free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

pub(crate) async fn browser(driver: &Driver) -> Client {
    browser_with(driver, &[]).await
}

/// A browser session with these Chromium switches besides the usual ones.
pub(crate) async fn browser_with(driver: &Driver, extra: &[&str]) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1024,900",
    ];
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// Where screenshots go: `target/screenshots/`.
pub(crate) fn shots() -> PathBuf {
    // The workspace's target directory, two levels up.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// Whether the page's stylesheet applied (the Content-Security-Policy lets only ours in): its
/// buttons are the accent blue, not the browser's grey.
pub(crate) async fn styled(c: &Client) {
    let button = c.find(Locator::Css("main button")).await.expect("a button");
    let color = button.css_value("background-color").await.unwrap();
    assert!(color.contains("11, 87, 208"), "unstyled: {color}");
}

/// Waits (up to 10 s) for the page's heading to read `expected`.
pub(crate) async fn heading_is(c: &Client, expected: &str) {
    let started = Instant::now();
    loop {
        let h1 = match c.find(Locator::Css("h1")).await {
            Ok(h1) => h1.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if h1 == expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "expected the page {expected:?}, found {h1:?} at {}",
            c.current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for the page's heading to read `expected`, then saves a screenshot as `name`.
pub(crate) async fn page_is(c: &Client, expected: &str, name: &str) {
    heading_is(c, expected).await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(shots().join(name), png).expect("save the screenshot");
}

/// The link the admin's "Invitation created" page shows.
pub(crate) async fn created_link(c: &Client) -> String {
    c.find(Locator::Id("invitation-link"))
        .await
        .expect("the link on the page")
        .attr("href")
        .await
        .expect("its href")
        .expect("the link")
}

/// How wide the page is, and its window (CSS px): a page wider than its window scrolls
/// sideways.
pub(crate) async fn widths(c: &Client) -> (i64, i64) {
    let found = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("measure the page");
    let found: Vec<i64> = serde_json::from_value(found).expect("two numbers");
    (found[0], found[1])
}

pub(crate) async fn fill(c: &Client, name: &str, value: &str) {
    c.find(Locator::Css(&format!("[name=\"{name}\"]")))
        .await
        .unwrap_or_else(|e| panic!("no field {name}: {e}"))
        .send_keys(value)
        .await
        .expect("type");
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .expect("click");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_invite_join_refuse_revoke_in_chromium() {
    if !tokio::task::spawn_blocking(browser_available)
        .await
        .unwrap()
    {
        return;
    }
    let driver = tokio::task::spawn_blocking(start_driver).await.unwrap();
    let store = AnyStore::connect("memory:").await.unwrap();
    let (base, app) = crate::axum_signup::start_on(store, "accounts").await;
    let c = browser(&driver).await;

    // Sign in.
    c.goto(&format!("{base}/admin")).await.unwrap();
    page_is(&c, "Admin sign-in", "01-sign-in.png").await;
    styled(&c).await;
    fill(&c, "password", crate::axum_signup::ADMIN).await;
    click(&c, "main form button").await;
    page_is(&c, "Invitations", "02-admin-empty.png").await;

    // Invite: a one-time link for Ada.
    c.goto(&format!("{base}/admin/new")).await.unwrap();
    page_is(&c, "Invite", "03-invite-form.png").await;
    styled(&c).await;
    fill(&c, "email", "ada@example.com").await;
    // Max uses: the form's default, a one-time link.
    fill(&c, "inviter", "grace").await;
    fill(&c, "description", "Ada, launch team").await;
    click(&c, "main form button").await;
    page_is(&c, "Invitation created", "04-invitation-created.png").await;
    let link = created_link(&c).await;
    let id = c
        .find(Locator::Id("invitation-id"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        link.starts_with(&format!("{base}/join?invitation=")),
        "{link}"
    );

    // Open the link and join.
    c.goto(&link).await.unwrap();
    page_is(&c, "Create your account", "05-join.png").await;
    styled(&c).await;
    let email = c.find(Locator::Css("input[name=email]")).await.unwrap();
    assert_eq!(
        email.prop("value").await.unwrap().as_deref(),
        Some("ada@example.com")
    );
    assert!(email.attr("readonly").await.unwrap().is_some());
    fill(&c, "name", "Ada Lovelace").await;
    click(&c, "main form button").await;
    page_is(&c, "Welcome!", "06-welcome.png").await;
    assert_eq!(app.account_count().await.unwrap(), 1);

    // The same link again: Ada already joined with it, and is told so.
    c.goto(&link).await.unwrap();
    page_is(&c, "You have already joined", "07-used.png").await;

    // The list, then the invitation's page, and revoke it there.
    c.goto(&format!("{base}/admin")).await.unwrap();
    page_is(&c, "Invitations", "08-admin-list.png").await;
    let state = c
        .find(Locator::Css("td[data-label=State]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(state, "used up");
    click(&c, &format!("a[href=\"/admin/i/{id}\"]")).await;
    page_is(&c, &format!("Invitation {id}"), "09-detail.png").await;
    let joined = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(joined.contains("Joined (1)"), "{joined}");
    click(&c, "button.danger").await;
    page_is(
        &c,
        "Confirm: revoke this invitation",
        "10-revoke-confirm.png",
    )
    .await;
    click(&c, "button.danger").await;
    page_is(&c, "Invitation revoked", "10-revoked.png").await;

    // The link now says it was withdrawn.
    c.goto(&link).await.unwrap();
    page_is(&c, "This invitation has been withdrawn", "11-withdrawn.png").await;

    // The funnel: its chart drawn (bars laid out by the stylesheet the policy allows), and
    // nothing wider than a phone at 390 px.
    c.goto(&format!("{base}/admin/funnel")).await.unwrap();
    page_is(&c, "Funnel", "12-funnel.png").await;
    let bar = c.find(Locator::Css("rect.f-issued")).await.expect("a bar");
    let fill = bar.css_value("fill").await.unwrap();
    assert!(fill.contains("87, 96, 106"), "the muted grey: {fill}");
    c.set_window_size(390, 844).await.unwrap();
    c.refresh().await.unwrap();
    page_is(&c, "Funnel", "13-funnel-390.png").await;
    let (page, window) = widths(&c).await;
    assert!(page <= window, "wider than the screen: {page} > {window}");

    c.close().await.unwrap();
}
