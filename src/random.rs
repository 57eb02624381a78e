//! The one place that draws from the operating system's random number generator.

use rand::TryRng;
use rand::rngs::SysRng;

use crate::error::Error;

/// Fills `buf` from the OS RNG (`getrandom(2)` on Linux).
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    SysRng.try_fill_bytes(buf).map_err(|_| Error::Random)
}
