//! Turns the criterion results and interleaved ratios of `benches/benches/compare.rs` into
//! `docs/performance.md` (tables), `docs/performance.svg` (a bar chart), and the "Performance" section of `README.md`.
//!
//! ```text
//! cargo bench -p admit-bench --bench compare
//! cargo run -p admit-bench --bin bench_report
//! ```
//!
//! It also mints the same claims with admit, jsonwebtoken and pasetors to measure token lengths.

use std::fmt::Write as _;

use admit::{Invitation, Issuer, SigningKey};
use serde::Serialize;

const CONTEXT: &str = "acme/invite";

/// One measured function: its label, mean and 95% interval in nanoseconds per operation.
struct Row {
    label: &'static str,
    mean: f64,
    low: f64,
    high: f64,
}

fn read(group: &'static str, name: &'static str, label: &'static str, per: f64) -> Row {
    let path =
        admit_bench::target_dir().join(format!("criterion/{group}/{name}/new/estimates.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run `cargo bench -p admit-bench --bench compare` first",
            path.display()
        )
    });
    let v: serde_json::Value = serde_json::from_str(&text).expect("criterion estimates JSON");
    let get = |k: &str| v["mean"][k].as_f64().expect("mean estimate") / per;
    Row {
        label,
        mean: get("point_estimate"),
        low: v["mean"]["confidence_interval"]["lower_bound"]
            .as_f64()
            .expect("lower bound")
            / per,
        high: v["mean"]["confidence_interval"]["upper_bound"]
            .as_f64()
            .expect("upper bound")
            / per,
    }
}

fn us(ns: f64) -> String {
    format!("{:.1} µs", ns / 1000.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = vec![
        read("mint", "admit", "admit `Issuer::mint`", 1.0),
        read(
            "mint_many",
            "admit_64",
            "admit `Issuer::mint_many` (per token)",
            64.0,
        ),
        read("mint", "dalek_sign", "ed25519-dalek `sign` (floor)", 1.0),
        read("mint", "jsonwebtoken", "jsonwebtoken `encode`", 1.0),
        read("mint", "pasetors", "pasetors v4.public `sign`", 1.0),
        read("verify", "admit", "admit `Verifier::verify`", 1.0),
        read(
            "verify_batch",
            "admit_64",
            "admit `verify_batch` (per token)",
            64.0,
        ),
        read(
            "verify",
            "dalek_verify_strict",
            "ed25519-dalek `verify_strict` (floor)",
            1.0,
        ),
        read(
            "verify",
            "dalek_verify",
            "ed25519-dalek `verify` (not strict)",
            1.0,
        ),
        read("verify", "jsonwebtoken", "jsonwebtoken `decode`", 1.0),
        read("verify", "pasetors", "pasetors v4.public `verify`", 1.0),
    ];
    // The ratios come from the interleaved rounds at the end of the bench, not from the means
    // above: each pair is timed side by side, so machine drift and bench order cancel.
    let text =
        std::fs::read_to_string(admit_bench::target_dir().join("criterion/interleaved.json"))
            .expect("target/criterion/interleaved.json: run the compare bench first");
    let ratios: serde_json::Value = serde_json::from_str(&text)?;
    let rounds = ratios["mint_vs_sign"]["rounds"]
        .as_u64()
        .expect("mint_vs_sign.rounds in interleaved.json");
    let ratio = |name: &str| {
        let r = &ratios[name];
        let get = |k: &str| {
            r[k].as_f64()
                .unwrap_or_else(|| panic!("{name}.{k} in interleaved.json"))
        };
        (get("median"), get("q1"), get("q3"))
    };
    let goals = [
        ("mint ÷ ed25519-dalek sign", ratio("mint_vs_sign"), "≤ 1.02"),
        ("mint ÷ jsonwebtoken encode", ratio("mint_vs_jwt"), "≤ 0.5"),
        (
            "mint_many (per token) ÷ jsonwebtoken encode",
            ratio("mint_many_vs_jwt"),
            "",
        ),
        (
            "verify ÷ ed25519-dalek verify_strict",
            ratio("verify_vs_strict"),
            "≤ 1.03",
        ),
        (
            "verify ÷ jsonwebtoken decode",
            ratio("verify_vs_jwt"),
            "≤ 0.9",
        ),
        (
            "verify ÷ pasetors verify",
            ratio("verify_vs_paseto"),
            "≤ 0.6",
        ),
        (
            "verify_batch of 64 (per token) ÷ verify",
            ratio("verify_batch_vs_verify"),
            "≤ 0.6",
        ),
    ];

    let mut md = String::new();
    writeln!(md, "| operation | mean (95% interval) |")?;
    writeln!(md, "|---|---|")?;
    for r in &rows {
        writeln!(
            md,
            "| {} | {} ({} – {}) |",
            r.label,
            us(r.mean),
            us(r.low),
            us(r.high)
        )?;
    }
    writeln!(md)?;
    writeln!(
        md,
        "| ratio (same run, median of {rounds} interleaved rounds) | measured | quartiles | goal |"
    )?;
    writeln!(md, "|---|---|---|---|")?;
    for (what, (median, q1, q3), goal) in goals {
        let verdict = match goal.strip_prefix("≤ ").and_then(|g| g.parse::<f64>().ok()) {
            Some(limit) if median <= limit => format!("{goal} ✓"),
            Some(_) => format!("{goal} ✗"),
            None => "—".to_owned(),
        };
        writeln!(
            md,
            "| {what} | **{median:.3}×** | {q1:.3}–{q3:.3} | {verdict} |"
        )?;
    }
    writeln!(md)?;
    writeln!(md, "{}", token_lengths()?)?;
    writeln!(md, "Machine: {}.", machine())?;

    let root = admit_bench::workspace_root();
    let docs = root.join("docs");
    std::fs::create_dir_all(&docs)?;
    std::fs::write(
        docs.join("performance.md"),
        format!(
            "# Performance\n\nGenerated by `cargo run -p admit-bench --bin bench_report` from \
             `cargo bench -p admit-bench --bench compare`.\n\n{md}"
        ),
    )?;
    std::fs::write(docs.join("performance.svg"), chart(&rows))?;

    // The README section between the markers is replaced with the same tables.
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path)?;
    let (start, end) = ("<!-- performance:start -->", "<!-- performance:end -->");
    if let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) {
        let updated = format!("{}{start}\n{md}{}", &readme[..a], &readme[b..]);
        std::fs::write(&readme_path, updated)?;
    }
    print!("{md}");
    Ok(())
}

/// Token lengths for the same claims, minted with each library.
fn token_lengths() -> Result<String, Box<dyn std::error::Error>> {
    #[derive(Serialize)]
    struct Jwt<'a> {
        jti: &'a str,
        iat: u64,
        exp: u64,
        aud: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        inviter: Option<&'a str>,
    }
    let seed = [7u8; 32];
    let key = SigningKey::from_bytes(&seed);
    let issuer = Issuer::new(key.clone(), CONTEXT)?;
    let jwt_key = jsonwebtoken::EncodingKey::from_ed_pem(key.to_pkcs8_pem()?.as_bytes())?;
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    let mut keypair = seed.to_vec();
    keypair.extend_from_slice(&key.verifying_key().to_bytes());
    let paseto_key = pasetors::keys::AsymmetricSecretKey::<pasetors::version4::V4>::from(&keypair)?;
    // 96 random bits, as admit carries them, in base64url for the JSON formats.
    let jti = "ZlVVyQGVeLhKi9lD";
    let now = 1_800_000_000u64;

    let mut out = String::from(
        "Token length in characters for the same claims (admit's `aud` equivalent, the context, \
         is signed but not sent; JWT carries `aud`; PASETO binds it as an implicit assertion):\n\n\
         | claims | admit | JWT (EdDSA) | PASETO v4.public |\n|---|---|---|---|\n",
    );
    for (label, email, inviter) in [
        ("ID, issued-at, expiry", None, None),
        ("+ email", Some("ada@example.com"), None),
        ("+ email, inviter", Some("ada@example.com"), Some("grace")),
    ] {
        let mut draft = Invitation::builder().ttl(time::Duration::days(7));
        if let Some(e) = email {
            draft = draft.email(e);
        }
        if let Some(i) = inviter {
            draft = draft.inviter(i);
        }
        let now_t = time::OffsetDateTime::from_unix_timestamp(now as i64)?;
        let admit_len = issuer
            .mint_with_id(&draft, admit::InvitationId::from_bytes([9; 12]), now_t)?
            .as_str()
            .len();
        let claims = Jwt {
            jti,
            iat: now,
            exp: now + 7 * 86_400,
            aud: CONTEXT,
            email,
            inviter,
        };
        let jwt_len = jsonwebtoken::encode(&header, &claims, &jwt_key)?.len();
        let mut pc = pasetors::claims::Claims::new()?;
        pc.issued_at("2027-01-15T08:00:00+00:00")?;
        pc.not_before("2027-01-15T08:00:00+00:00")?;
        pc.expiration("2027-01-22T08:00:00+00:00")?;
        pc.token_identifier(jti)?;
        if let Some(e) = email {
            pc.add_additional("email", e)?;
        }
        if let Some(i) = inviter {
            pc.add_additional("inviter", i)?;
        }
        let paseto_len =
            pasetors::public::sign(&paseto_key, &pc, None, Some(CONTEXT.as_bytes()))?.len();
        writeln!(
            out,
            "| {label} | **{admit_len}** | {jwt_len} | {paseto_len} |"
        )?;
    }
    Ok(out)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let flags: Vec<&str> = ["avx2", "avx512ifma"]
        .into_iter()
        .filter(|f| cpu.split_whitespace().any(|w| w == *f))
        .collect();
    format!(
        "{model}, {cores} cores ({}), Linux VM; release profile, one thread",
        if flags.is_empty() {
            "no AVX2".to_owned()
        } else {
            flags.join(", ")
        }
    )
}

/// A horizontal bar chart of the single-operation means, as SVG.
fn chart(rows: &[Row]) -> String {
    let max = rows.iter().map(|r| r.mean).fold(0.0, f64::max);
    let (left, width, bar, gap) = (330.0, 420.0, 18.0, 8.0);
    let height = 40.0 + rows.len() as f64 * (bar + gap) + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"820\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\">Time per token \
         (µs, mean; shorter is better)</text>\n"
    );
    let mut y = 40.0;
    for r in rows {
        let w = r.mean / max * width;
        let color = if r.label.starts_with("admit") {
            "#2f7d4f"
        } else if r.label.contains("floor") || r.label.contains("not strict") {
            "#9aa5b1"
        } else {
            "#c0723a"
        };
        let label = r.label.replace('`', "");
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{}\">{:.1}</text>",
            left - 8.0,
            y + 13.0,
            label,
            left + w + 6.0,
            y + 13.0,
            r.mean / 1000.0
        );
        y += bar + gap;
    }
    let _ = writeln!(
        svg,
        "<text x=\"10\" y=\"{}\" fill=\"#555\">green: admit · grey: raw ed25519-dalek \
         floor · orange: jsonwebtoken, pasetors</text>\n</svg>",
        y + 18.0
    );
    svg
}
