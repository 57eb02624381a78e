//! scratch profiling
fn main() {
    let issuer =
        admit::Issuer::new(admit::SigningKey::from_bytes(&[7; 32]), "acme/invite").unwrap();
    let draft = admit::Invitation::builder()
        .email("ada@example.com")
        .inviter("grace");
    let mode = std::env::args().nth(1).unwrap_or_default();
    let mut n = 0usize;
    if mode == "mint" {
        for _ in 0..2000 {
            n += issuer.mint(&draft).unwrap().as_str().len();
        }
    } else {
        let t = issuer.mint(&draft).unwrap().into_string();
        let v = issuer.verifier();
        for _ in 0..2000 {
            n += v.verify(&t).unwrap().id().to_bytes()[0] as usize;
        }
    }
    println!("{n}");
}
