//! `/join/code`: the short code from the admin's "created" page, typed in as people type it.

use reqwest::StatusCode;

use crate::axum_signup::{admin_client, client, start};

/// The short code from the admin's "created" page, typed into `/join/code` the way people
/// type: lower case, the dash left out. Typos, unknown codes and empty boxes are answered on
/// the form, which keeps what was typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_code_typed_in_leads_to_the_join_form() {
    let (base, _app) = start().await;
    let c = admin_client(&base).await;
    let res = c
        .post(format!("{base}/admin/invitations"))
        .form(&[("email", "kim@example.com"), ("max_uses", "1")])
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    let start = "<code id=\"invitation-code\">";
    let from = body.find(start).unwrap() + start.len();
    let code = body[from..from + body[from..].find('<').unwrap()].to_owned();

    let visitor = client();
    let res = visitor
        .get(format!("{base}/join/code"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("name=\"code\""));
    let home = visitor.get(format!("{base}/")).send().await.unwrap();
    assert!(home.text().await.unwrap().contains("href=\"/join/code\""));

    let typed = code.to_lowercase().replace('-', "");
    let post = |code: String| {
        visitor
            .post(format!("{base}/join/code"))
            .header("origin", base.as_str())
            .form(&[("code", code)])
            .send()
    };
    let res = post(typed.clone()).await.unwrap();
    let status = res.status();
    let to = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "{typed}: {body}");
    let to = to.unwrap();
    assert!(to.starts_with("/join?invitation="), "{to}");
    let res = visitor.get(format!("{base}{to}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("value=\"kim@example.com\" readonly")
    );

    // One character changed: the check character catches it.
    let mut wrong: Vec<char> = typed.chars().collect();
    wrong[0] = if wrong[0] == 'a' { 'b' } else { 'a' };
    let wrong: String = wrong.into_iter().collect();
    let res = post(wrong.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("typo") || body.contains("don't know"),
        "{body}"
    );
    assert!(
        body.contains(&format!("value=\"{wrong}\"")),
        "kept as typed: {body}"
    );
    let res = post("   ".to_owned()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Type the code first"));
    let res = post("<b>?!</b>".to_owned()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("&lt;b&gt;") && !body.contains("<b>?"),
        "{body}"
    );
    // From another site: refused like every other form.
    let res = visitor
        .post(format!("{base}/join/code"))
        .header("origin", "https://evil.example")
        .form(&[("code", typed)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
