//! `AdminUi` with webhooks: the Activity page shows each endpoint's state, a failing one
//! included.

use std::time::Duration;

use admit::Invitation;
use admit::axum::AdminUi;
use admit::store::{MemoryStore, Store};
use admit::webhooks::{WebhookSecret, WebhookSender};

/// The admin's Activity page shows a failing endpoint, named as its sender names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_shows_a_failing_endpoint() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let store = MemoryStore::new();
    let token = crate::issuer().mint(Invitation::builder()).unwrap();
    store.record_issued(token.invitation(), None).await.unwrap();
    let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse().unwrap();
    let s = WebhookSender::builder(store.clone(), &format!("http://127.0.0.1:{port}/"), secret)
        .name("test")
        .allow_internal_targets()
        .timeout(Duration::from_millis(300))
        .backoff(Duration::from_millis(5), Duration::from_millis(40))
        .max_attempts(3)
        .build()
        .unwrap();
    s.run_until(tokio::time::sleep(Duration::from_millis(500)))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let ui = AdminUi::new(store.clone(), crate::issuer(), &format!("{base}/join"))
        .unwrap()
        .webhook_endpoints(["test", "<other>"]);
    let app: axum::Router = ui.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let page = reqwest::get(format!("{base}/activity"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("FAILING since"), "{page}");
    assert!(page.contains("could not connect"), "{page}");
    assert!(
        page.contains("&lt;other&gt;") && page.contains("nothing delivered yet"),
        "{page}"
    );
    assert!(!page.contains("MfKQ9r8G"), "no secret on the page");
}
