//! The CLI's bounded line reader (`admit verify` on stdin): it never panics, never returns a
//! line over its cap, and numbers lines from 1. (CSV for `mint --emails` is the `csv` crate's.)

#![no_main]
#![allow(dead_code, unreachable_pub)]

use libfuzzer_sys::fuzz_target;

#[path = "../../src/bin/admit/util.rs"]
mod util;

use util::{Line, Lines};

fuzz_target!(|data: &[u8]| {
    let mut lines = Lines::new(std::io::Cursor::new(data), 256);
    let mut last = 0;
    while let Ok(Some(line)) = lines.next_line() {
        assert_eq!(lines.number, last + 1);
        last = lines.number;
        if let Line::Text(text) = line {
            assert!(text.len() <= 256);
            assert!(!text.contains('\n'));
        }
    }
});
