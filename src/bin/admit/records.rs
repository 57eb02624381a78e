//! Records as every command prints them in `--format csv`, and app data as every format shows
//! it: the same columns and the same data fields for `verify`, `inspect`, `status`, `list`,
//! `mint` and `store health`.

use admit::Claims;

use crate::util::{CliError, fmt_time};

/// One CSV record (RFC 4180 quoting, by the `csv` crate), with its line ending.
pub(crate) fn csv_line<I, F>(fields: I) -> Result<String, CliError>
where
    I: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(fields)
        .map_err(|e| CliError::usage(format!("CSV: {e}")))?;
    let bytes = writer
        .into_inner()
        .map_err(|e| CliError::usage(format!("CSV: {}", e.error())))?;
    String::from_utf8(bytes).map_err(|_| CliError::usage("CSV: output is not UTF-8"))
}

/// The columns of an invitation's claims, in this order, wherever they are printed as CSV.
pub(crate) const CLAIM_COLUMNS: [&str; 8] = [
    "id",
    "issued_at",
    "expires_at",
    "email",
    "max_uses",
    "inviter",
    "data",
    "data_hex",
];

/// The claims as [`CLAIM_COLUMNS`]; an absent claim is an empty field.
pub(crate) fn claim_fields(c: &Claims) -> Vec<String> {
    let data = c.data_bytes();
    vec![
        c.id().to_string(),
        fmt_time(c.issued_at()),
        c.expires_at().map(fmt_time).unwrap_or_default(),
        c.email().unwrap_or_default().to_owned(),
        c.max_uses().map(|m| m.to_string()).unwrap_or_default(),
        c.inviter().unwrap_or_default().to_owned(),
        data.and_then(data_json_text).unwrap_or_default(),
        data.map(hex).unwrap_or_default(),
    ]
}

/// The claims as JSON fields. `data` is the JSON value `mint --data` stored (null for other
/// data); `data_hex` is the exact bytes, which `mint --data-hex` takes back.
pub(crate) fn claims_json(c: &Claims) -> serde_json::Value {
    let data = c.data_bytes();
    serde_json::json!({
        "id": c.id().to_string(),
        "issued_at": fmt_time(c.issued_at()),
        "expires_at": c.expires_at().map(fmt_time),
        "email": c.email(),
        "max_uses": c.max_uses(),
        "inviter": c.inviter(),
        "data": data.and_then(data_json),
        "data_hex": data.map(hex),
    })
}

/// App data for a reader: the JSON text `mint --data` stored, or the bytes in hex, said so.
pub(crate) fn data_display(bytes: &[u8]) -> String {
    data_json_text(bytes).unwrap_or_else(|| format!("{} (hex; not JSON text)", hex(bytes)))
}

/// The JSON text in `bytes` when they hold what `mint --data` stores (a postcard string of
/// JSON text), exactly as it was given.
fn data_json_text(bytes: &[u8]) -> Option<String> {
    match postcard::take_from_bytes::<String>(bytes) {
        Ok((text, [])) if serde_json::from_str::<serde_json::Value>(&text).is_ok() => Some(text),
        _ => None,
    }
}

fn data_json(bytes: &[u8]) -> Option<serde_json::Value> {
    data_json_text(bytes).and_then(|t| serde_json::from_str(&t).ok())
}

/// Lower-case hex, as `mint --data-hex` reads it.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
