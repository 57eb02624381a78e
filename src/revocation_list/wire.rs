//! The primitives of the revocation-list encoding: minimal LEB128 varints, strings, raw bytes
//! (the same rules as the token payload, FORMAT.md §4), with list errors.

use super::bad;
use crate::error::Error;

/// Reads a list body front to back.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    pub(crate) fn left(&self) -> usize {
        self.rest.len()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.rest.len() {
            return Err(bad("truncated"));
        }
        let (front, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(front)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Error> {
        self.bytes(1).map(|b| b[0])
    }

    /// A u64 as minimal unsigned LEB128: at most 10 bytes, the 10th at most 1, and no
    /// redundant final group.
    pub(crate) fn varint(&mut self) -> Result<u64, Error> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            if i == 9 && b > 1 {
                return Err(bad("an integer is too large for 64 bits"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(bad("an integer is not minimally encoded"));
                }
                return Ok(value);
            }
        }
        Err(bad("an integer is too large for 64 bits"))
    }

    /// A varint length, then that many bytes of UTF-8.
    pub(crate) fn string(&mut self) -> Result<&'a str, Error> {
        let len = self.varint()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= self.rest.len())
            .ok_or_else(|| bad("a length runs past the end of the list"))?;
        core::str::from_utf8(self.bytes(len)?).map_err(|_| bad("a string is not UTF-8"))
    }
}

/// Writes a list body.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    pub(crate) fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    pub(crate) fn varint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.out.push(low);
                return;
            }
            self.out.push(low | 0x80);
        }
    }

    pub(crate) fn string(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.bytes(s.as_bytes());
    }
}
