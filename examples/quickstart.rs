//! Mint an invitation, put it in a link, verify it with the public key alone, and watch a
//! tampered copy get rejected.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use admit::{Invitation, Issuer, SigningKey, Verifier};
use time::Duration;
use time::format_description::well_known::Rfc3339;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The minting service holds the signing key; it would load it with
    // `SigningKey::from_pkcs8_pem` (e.g. a key made by `openssl genpkey -algorithm ed25519`).
    let key = SigningKey::generate()?;
    let public_key = key.verifying_key();
    println!("signing key ID:   {}", key.key_id());

    let issuer = Issuer::new(key.clone(), "acme/invite")?;
    let token = issuer.mint(
        Invitation::builder()
            .email("Ada@Example.com")
            .one_time()
            .inviter("grace")
            .ttl(Duration::days(7)),
    )?;
    let link = token.url("https://acme.test/join?lang=en")?;
    println!("token length:     {} characters", token.as_str().len());
    println!("invitation link:  {link}");

    // Any other service verifies with the public key only.
    let verifier = Verifier::new(public_key, "acme/invite")?;
    let invitation = verifier.verify_url(&link)?;
    println!(
        "verified:         id {} for {} (one-time: {}), invited by {}, expires {}",
        invitation.id(),
        invitation.email().unwrap_or("anyone"),
        invitation.is_one_time(),
        invitation.inviter().unwrap_or("nobody"),
        invitation
            .expires_at()
            .map_or(Ok("never".to_owned()), |t| t.format(&Rfc3339))?,
    );

    // The invitee signs up with the address it was sent to: accepted. Another address: refused.
    verifier.verify_for_email(token.as_str(), "ada@example.com")?;
    let other = verifier.verify_for_email(token.as_str(), "eve@example.com");
    println!("other email:      rejected ({})", describe(other));

    // Change one character of the token: the signature no longer matches.
    let mut tampered = token.as_str().to_owned();
    let middle = tampered.len() / 2;
    let swapped = if tampered.as_bytes()[middle] == b'A' {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(middle..=middle, swapped);
    println!(
        "tampered token:   rejected ({})",
        describe(verifier.verify(&tampered))
    );

    // A token minted with the same key for another purpose does not verify as an invitation.
    let reset = Issuer::new(key, "acme/password-reset")?;
    let reset_token = reset.mint(Invitation::builder())?;
    println!(
        "other context:    rejected ({})",
        describe(verifier.verify(reset_token.as_str()))
    );
    Ok(())
}

fn describe(result: Result<Invitation, admit::Error>) -> String {
    match result {
        Ok(_) => "unexpectedly accepted".to_owned(),
        Err(e) => e.to_string(),
    }
}
