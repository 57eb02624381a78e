//! Where randomness comes from: the operating system's generator for keys, and a per-thread
//! ChaCha12 generator seeded from it for invitation IDs and short codes.
//!
//! An ID needs to be unpredictable and unique, not secret for decades; one `getrandom(2)`
//! call per ID cost 4–6% of a mint. The thread's generator is `rand`'s `StdRng` (ChaCha12),
//! seeded from the OS and reseeded from it after every 64 KiB it produces, so a state that
//! leaked covers little. It is reseeded as well in a forked child: a child forked by a thread
//! that had drawn IDs would otherwise draw the same ones as its parent. (`rand`'s own
//! `ThreadRng` does neither, and panics when the OS generator fails; this returns
//! [`Error::Random`].)
//!
//! Forks are noticed through [`forkguard`]: on Unix a `pthread_atfork` child handler bumps a
//! counter, so the check on each draw is one load instead of a `getpid(2)` system call (which
//! glibc stopped caching in 2.25: 0.1 µs, nearly 1% of a mint). A child made by calling the
//! `clone` system call directly, bypassing libc's `fork`, runs no handler and is not noticed;
//! `vfork` and `posix_spawn` children run no Rust code before they exec. Where the handler
//! cannot be registered, every ID comes straight from the OS.

use core::cell::RefCell;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng as _, SeedableRng as _, TryRng as _};

use crate::error::Error;

/// Fills `buf` from the OS RNG (`getrandom(2)` on Linux): for signing keys.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    SysRng.try_fill_bytes(buf).map_err(|_| Error::Random)
}

/// Bytes a thread's generator produces before it is reseeded from the OS.
const RESEED_AFTER: usize = 64 * 1024;

struct Local {
    rng: StdRng,
    /// Notices a fork since the generator was seeded.
    fork: forkguard::Guard,
    /// Bytes produced since.
    drawn: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Fills `buf` from this thread's generator, seeding it from the OS first when it is new,
/// has produced [`RESEED_AFTER`] bytes, or was seeded before a fork: for invitation IDs and
/// short codes.
pub(crate) fn fill_fast(buf: &mut [u8]) -> Result<(), Error> {
    LOCAL
        .try_with(|cell| {
            let mut slot = cell.try_borrow_mut().map_err(|_| Error::Random)?;
            let fresh = slot
                .as_mut()
                .is_some_and(|l| !l.fork.detected_fork() && l.drawn < RESEED_AFTER);
            if !fresh {
                // `.ok()`: on targets without fork (WASI) the guard cannot fail, and a
                // `let Ok(..) else` would be irrefutable there.
                let Some(fork) = forkguard::Guard::try_new().ok() else {
                    // No fork handler: a generator could be copied into a child unnoticed.
                    *slot = None;
                    return fill(buf);
                };
                let rng = StdRng::try_from_rng(&mut SysRng).map_err(|_| Error::Random)?;
                *slot = Some(Local {
                    rng,
                    fork,
                    drawn: 0,
                });
            }
            let local = slot.as_mut().ok_or(Error::Random)?;
            local.rng.fill_bytes(buf);
            local.drawn = local.drawn.saturating_add(buf.len());
            Ok(())
        })
        // The thread is exiting and its generator is gone: the OS still answers.
        .unwrap_or_else(|_| fill(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ_and_reseed_past_the_threshold() {
        let (mut a, mut b) = ([0u8; 12], [0u8; 12]);
        fill_fast(&mut a).unwrap();
        fill_fast(&mut b).unwrap();
        assert_ne!(a, b);
        // Past the threshold the generator is replaced: its count starts again.
        let mut big = vec![0u8; RESEED_AFTER];
        fill_fast(&mut big).unwrap();
        fill_fast(&mut a).unwrap();
        let drawn = LOCAL.with(|c| c.borrow().as_ref().map(|l| l.drawn));
        assert_eq!(drawn, Some(12));
    }

    #[test]
    fn threads_draw_differently() {
        let other = std::thread::spawn(|| {
            let mut b = [0u8; 16];
            fill_fast(&mut b).map(|()| b)
        })
        .join()
        .unwrap()
        .unwrap();
        let mut a = [0u8; 16];
        fill_fast(&mut a).unwrap();
        assert_ne!(a, other);
    }
}
