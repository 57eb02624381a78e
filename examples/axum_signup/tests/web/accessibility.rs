//! Every admin and join page checked by a tool, not by eye: axe-core (Deque's engine, from npm:
//! `js/node_modules/axe-core`) runs inside headless Chromium on each page, at 1280 and 390 px
//! wide, in light and in dark mode, with the WCAG 2.x A and AA rules and axe's best practices.
//! No serious or critical violation may be found, and no page may be wider than the window.
//! The pages hold real-looking data: long emails, descriptions and inviters.
//!
//! With `ADMIT_WRITE_SCREENSHOTS=1` it also rewrites the README's screenshots in
//! `docs/screenshots/` (the list with long data, the created page, a phone-width list, the join
//! page); every run saves its screenshots under `target/screenshots/a11y/`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use admit::store::{AnyStore, Store};
use admit::{Invitation, InvitationId};
use fantoccini::Client;

use crate::browser::{
    browser_available, browser_with, click, created_link, fill, heading_is, shots, start_driver,
    widths,
};

/// The axe-core script, installed with the js/ package's dev dependencies (`npm ci` in
/// `js/`; run here if it is missing and npm is there). Under `CI=true` it must be found.
fn axe_source() -> Option<String> {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../js");
    let path = js.join("node_modules/axe-core/axe.min.js");
    if !path.exists() {
        let _ = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&js)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "axe-core is required under CI=true ({}: {e}); run npm ci in js/",
                path.display()
            );
            eprintln!(
                "!!! SKIPPED: axe-core not installed (npm ci in js/); no accessibility check ran !!!"
            );
            None
        }
    }
}

/// One page's serious and critical violations, as "rule: where" lines.
async fn violations(c: &Client, axe: &str) -> Vec<String> {
    // WebDriver's scripts run outside the page's Content-Security-Policy.
    c.execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .expect("load axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
               .then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .flatMap(v => v.nodes.map(n => v.id + ' (' + v.impact + '): '
                       + n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' ')))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value(found).expect("a list of violations")
}

/// Waits for the heading `title`, then checks the page: axe, and no sideways scrolling.
async fn check(c: &Client, axe: &str, title: &str, shot: &str, report: &mut Vec<String>) {
    heading_is(c, title).await;
    let dir = shots().join("a11y");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(shot), c.screenshot().await.unwrap()).unwrap();
    for v in violations(c, axe).await {
        report.push(format!("{shot} ({title}): {v}"));
    }
    let (page, window) = widths(c).await;
    if page > window {
        report.push(format!(
            "{shot} ({title}): {page} px wide in a {window} px window"
        ));
    }
}

/// The README's screenshots, when asked for.
fn readme_shot(name: &str, png: &[u8]) {
    if std::env::var("ADMIT_WRITE_SCREENSHOTS").as_deref() == Ok("1") {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::write(dir.join(name), png).expect("write docs/screenshots");
    }
}

/// Invitations as an admin of a real team has them: long addresses, long descriptions.
async fn seed(app: &axum_signup::App) -> Vec<String> {
    let mut ids = Vec::new();
    let rows = [
        (
            "maximilian.alexander.featherstonehaugh-worthington@engineering.example.com",
            "grace.hopper.the.admiral.of.compilers@acme.example",
            "Backend team, Q3 hiring round: staff engineer for the storage layer (referral)",
        ),
        ("ada@example.com", "linus", "Launch team"),
        (
            "",
            "grace",
            "Open link for the meetup on Thursday — print it on the poster",
        ),
    ];
    for (k, (email, inviter, description)) in rows.into_iter().enumerate() {
        let mut draft = Invitation::builder().inviter(inviter).max_uses(5);
        if !email.is_empty() {
            draft = draft.email(email);
        }
        let token = app
            .issuer
            .mint_with_id(
                draft,
                InvitationId::from_bytes([k as u8 + 1; 12]),
                time::OffsetDateTime::now_utc(),
            )
            .unwrap();
        app.store
            .record_issued(token.invitation(), Some(description))
            .await
            .unwrap();
        ids.push(token.invitation().id().to_string());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_at_two_widths_light_and_dark() {
    if !tokio::task::spawn_blocking(browser_available)
        .await
        .unwrap()
    {
        return;
    }
    let Some(axe) = axe_source() else { return };
    let driver = tokio::task::spawn_blocking(start_driver).await.unwrap();
    let store = AnyStore::connect("memory:").await.unwrap();
    let (base, app) = crate::axum_signup::start_on(store, "accounts").await;
    let ids = seed(&app).await;
    let mut report = Vec::new();
    let mut pages = 0;

    for (scheme, switches) in [("light", vec![]), ("dark", vec!["--force-dark-mode"])] {
        let c = browser_with(&driver, &switches).await;
        c.goto(&base).await.unwrap();
        let dark: bool = serde_json::from_value(
            c.execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches;",
                vec![],
            )
            .await
            .unwrap(),
        )
        .unwrap();
        assert_eq!(dark, scheme == "dark", "the browser's colour scheme");
        for (width, height) in [(1280, 900), (390, 844)] {
            c.set_window_size(width, height).await.unwrap();
            let tag = format!("{scheme}-{width}");
            let at = |path: String| {
                let c = &c;
                async move { c.goto(&path).await.unwrap() }
            };
            let mut shot = |name: &str| {
                pages += 1;
                format!("{tag}-{name}.png")
            };

            // The public pages.
            at(format!("{base}/")).await;
            check(&c, &axe, "Acme", &shot("home"), &mut report).await;
            at(format!("{base}/join/code")).await;
            check(&c, &axe, "Join with a code", &shot("code"), &mut report).await;
            fill(&c, "code", "ABCD").await;
            click(&c, "main form button").await;
            check(
                &c,
                &axe,
                "Join with a code",
                &shot("code-error"),
                &mut report,
            )
            .await;
            at(format!("{base}/join?invitation=nonsense")).await;
            check(
                &c,
                &axe,
                "This invitation link is not valid",
                &shot("invalid"),
                &mut report,
            )
            .await;

            // Sign in (a fresh session per round: the browser keeps its device cookie).
            at(format!("{base}/login")).await;
            check(&c, &axe, "Admin sign-in", &shot("sign-in"), &mut report).await;
            fill(&c, "password", "wrong").await;
            click(&c, "main form button").await;
            check(
                &c,
                &axe,
                "Admin sign-in",
                &shot("sign-in-error"),
                &mut report,
            )
            .await;
            fill(&c, "password", crate::axum_signup::ADMIN).await;
            click(&c, "main form button").await;

            // The admin pages, with long data.
            check(&c, &axe, "Invitations", &shot("list"), &mut report).await;
            if scheme == "light" {
                let png = c.screenshot().await.unwrap();
                readme_shot(
                    if width == 390 {
                        "admin-list-390.png"
                    } else {
                        "admin-list.png"
                    },
                    &png,
                );
            }
            at(format!("{base}/admin?q=MAX&state=active")).await;
            check(&c, &axe, "Invitations", &shot("list-search"), &mut report).await;
            at(format!("{base}/admin/new")).await;
            check(&c, &axe, "Invite", &shot("invite"), &mut report).await;
            // "1" is in the box already: "1x" is not a number.
            fill(&c, "max_uses", "x").await;
            click(&c, "main form button").await;
            check(&c, &axe, "Invite", &shot("invite-error"), &mut report).await;
            at(format!("{base}/admin/new")).await;
            let email =
                format!("new.person.{tag}.with.a.rather.long.address@subdomain.example.com");
            fill(&c, "email", &email).await;
            fill(&c, "inviter", "grace").await;
            click(&c, "main form button").await;
            check(
                &c,
                &axe,
                "Invitation created",
                &shot("created"),
                &mut report,
            )
            .await;
            if scheme == "light" && width == 1280 {
                readme_shot("admin-created.png", &c.screenshot().await.unwrap());
            }
            let link = created_link(&c).await;
            at(format!("{base}/admin/i/{}", ids[0])).await;
            check(
                &c,
                &axe,
                &format!("Invitation {}", ids[0]),
                &shot("detail"),
                &mut report,
            )
            .await;
            click(&c, "button.danger").await;
            check(
                &c,
                &axe,
                "Confirm: revoke this invitation",
                &shot("revoke-confirm"),
                &mut report,
            )
            .await;
            at(format!("{base}/admin/rules")).await;
            check(&c, &axe, "Revoke by rule", &shot("rules"), &mut report).await;
            fill(&c, "inviter", "nobody-at-all").await;
            click(&c, "main form button").await;
            check(
                &c,
                &axe,
                "Confirm: revoke by rule",
                &shot("rule-confirm"),
                &mut report,
            )
            .await;
            at(format!("{base}/admin/activity")).await;
            check(&c, &axe, "Activity", &shot("activity"), &mut report).await;
            at(format!("{base}/admin/funnel")).await;
            check(&c, &axe, "Funnel", &shot("funnel"), &mut report).await;

            // Joining: the form, its errors, the welcome, a used link, already joined.
            at(link.clone()).await;
            check(&c, &axe, "Create your account", &shot("join"), &mut report).await;
            if scheme == "light" && width == 1280 {
                readme_shot("join.png", &c.screenshot().await.unwrap());
            }
            fill(&c, "name", "Nova").await;
            click(&c, "main form button").await;
            check(&c, &axe, "Welcome!", &shot("welcome"), &mut report).await;
            at(link.clone()).await;
            check(
                &c,
                &axe,
                "You have already joined",
                &shot("already-joined"),
                &mut report,
            )
            .await;
        }
        c.close().await.unwrap();
    }
    assert!(
        report.is_empty(),
        "{} problems on {pages} pages:\n{}",
        report.len(),
        report.join("\n")
    );
    eprintln!(
        "axe-core: 0 serious or critical violations on {pages} pages (2 widths, light and dark)"
    );
}
