//! The CLI's bulk-file reader (`admit mint --emails`): bounded line reading and CSV splitting
//! never panic, and splitting what was joined gives back the same fields.

#![no_main]
#![allow(dead_code, unreachable_pub)]

use libfuzzer_sys::fuzz_target;

#[path = "../../src/bin/admit/util.rs"]
mod util;

use util::{Line, Lines, csv_field, csv_split};

fuzz_target!(|data: &[u8]| {
    let mut lines = Lines::new(std::io::Cursor::new(data), 256);
    while let Ok(Some(line)) = lines.next_line() {
        let Line::Text(text) = line else {
            continue;
        };
        assert!(text.len() <= 256);
        if let Ok(fields) = csv_split(&text) {
            let joined: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            assert_eq!(csv_split(&joined.join(",")).as_ref(), Ok(&fields));
        }
    }
});
