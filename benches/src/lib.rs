//! What admit's benches share: timing helpers for the store benches (`timing`, `sql_bench`),
//! and where the workspace keeps its files, so that a bench or the report generator reads and
//! writes the same `target/criterion`, `README.md` and `docs/` from whatever directory cargo
//! runs it in.
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::Criterion;

pub mod sql_bench;
pub mod timing;

/// The criterion settings of the store benches (30 samples of 4 s after 1 s of warm-up), and
/// what the command line adds.
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args()
}

/// Whether this is a full run (`cargo bench` with no filter, not `--test`): only a full run
/// measures the interleaved ratios after criterion.
pub fn full_run() -> bool {
    std::env::args().skip(1).all(|a| a == "--bench")
}

/// The workspace's root: the directory of admit's own `Cargo.toml`.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ is inside the workspace")
}

/// The workspace's target directory (`CARGO_TARGET_DIR`, or `target/` at its root), where
/// criterion writes its results.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The `admit` command-line tool, built in release mode for the bench that runs it as a
/// process (a bench of another package cannot ask cargo for its binary's path).
pub fn admit_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "admit",
            "--features",
            "cli",
        ])
        .args(["--bin", "admit"])
        .current_dir(workspace_root())
        .status()
        .expect("run cargo build for the admit binary");
    assert!(status.success(), "cargo build of the admit binary failed");
    target_dir().join("release").join("admit")
}
