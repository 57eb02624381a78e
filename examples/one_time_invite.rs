//! A one-time invitation bound to an email, on the embedded memory store: the first sign-up
//! with it succeeds, the second is refused, and the store shows who joined.
//!
//! ```text
//! cargo run --example one_time_invite
//! ```

use admit::store::{MemoryStore, Store};
use admit::{Invitation, Issuer, SigningKey, VerifyOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?;
    let verifier = issuer.verifier();
    let store = MemoryStore::new();

    // An admin invites Ada; the link goes out by email.
    let token = issuer.mint(
        Invitation::builder()
            .email("ada@example.com")
            .one_time()
            .inviter("grace"),
    )?;
    store
        .record_issued(token.invitation(), Some("Ada, for the data team"))
        .await?;
    let link = token.url("https://acme.test/join")?;
    println!("invitation link: {link}");

    // GET /join: verify and check, without using it up (mail scanners follow links too).
    let ada = VerifyOptions::new().email("ada@example.com");
    let shown = verifier
        .verify_and_check(token.as_str(), ada, &store)
        .await?;
    println!("sign-up page for {}", shown.email().unwrap_or("anyone"));

    // POST /join: Ada creates her account; the invitation is redeemed atomically.
    let (_, redemption) = verifier
        .verify_and_redeem(token.as_str(), ada, &store, "user-1001")
        .await?;
    println!("user-1001 joined (use {} of 1)", redemption.uses);

    // Someone else tries the same link with Ada's address: refused, the link is used up.
    match verifier
        .verify_and_redeem(token.as_str(), ada, &store, "user-1002")
        .await
    {
        Ok(_) => println!("second sign-up unexpectedly accepted"),
        Err(e) => println!("second sign-up refused: {e}"),
    }
    // Ada's own retry (a double-clicked button) is accepted and not counted twice.
    let (_, retry) = verifier
        .verify_and_redeem(token.as_str(), ada, &store, "user-1001")
        .await?;
    println!("user-1001 retried: repeated = {}", retry.repeated);

    let status = store.status(token.invitation().id()).await?;
    for joiner in &status.joiners {
        println!("joined: {} at {}", joiner.joiner, joiner.joined_at);
    }
    Ok(())
}
