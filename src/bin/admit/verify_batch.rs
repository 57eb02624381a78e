//! `verify` on stdin: a pipeline that keeps every core verifying.
//!
//! One thread reads lines and cuts them into chunks of [`CHUNK`]; one worker per core takes
//! the next chunk, batch-verifies it, checks the email and the store, and formats its result
//! lines; the calling thread puts the chunks back in input order, writes them and moves the
//! progress counter. Reading, verifying and writing overlap, and no worker waits for another
//! (there is no round to finish together). The channels are bounded, so memory stays a few
//! chunks per thread however long the input is.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use admit::{Error, find_token};
use time::OffsetDateTime;

use crate::Format;
use crate::check::{Check, result_line};
use crate::progress::Progress;
use crate::util::{CliError, Line, Lines};

/// Tokens per batch verification, and per chunk of work.
const CHUNK: usize = 512;

/// The longest line read as a token; longer lines fail as too large.
const LINE_CAP: usize = 64 * 1024;

/// One input line that is not blank: its number and the token found on it.
type Entry = (usize, Result<String, Error>);

/// Verifies every line of `input` on `threads` workers and writes one result line per
/// non-blank input line to `out`, in input order. Returns how many lines were verified and
/// whether all of them were valid.
pub(crate) fn run(
    check: &Check,
    format: Format,
    threads: usize,
    input: impl BufRead + Send,
    out: &mut impl Write,
) -> Result<(usize, bool), CliError> {
    let progress = Progress::new("verified", None);
    let mut tally = Tally {
        out,
        progress: &progress,
        seen: 0,
        all_valid: true,
    };
    let result = if threads <= 1 {
        alone(check, format, input, &mut tally)
    } else {
        pipeline(check, format, threads, input, &mut tally)
    };
    progress.finish();
    result.map(|()| (tally.seen, tally.all_valid))
}

/// Where settled chunks go, in input order: the output, the progress counter, and what has
/// been written so far.
struct Tally<'a, W> {
    out: &'a mut W,
    progress: &'a Progress,
    seen: usize,
    all_valid: bool,
}

impl<W: Write> Tally<'_, W> {
    fn write(&mut self, part: Done) -> Result<(), CliError> {
        self.out
            .write_all(part.text.as_bytes())
            .map_err(|e| CliError::usage(format!("stdout: {e}")))?;
        self.seen += part.count;
        self.all_valid &= part.all_valid;
        self.progress.add(part.count as u64);
        Ok(())
    }
}

/// More than one thread: the reader, the workers, and this thread writing in order.
fn pipeline(
    check: &Check,
    format: Format,
    threads: usize,
    input: impl BufRead + Send,
    tally: &mut Tally<'_, impl Write>,
) -> Result<(), CliError> {
    let (chunks_tx, chunks_rx) = sync_channel::<(u64, Vec<Entry>)>(threads * 2);
    let chunks_rx = Arc::new(Mutex::new(chunks_rx));
    let (done_tx, done_rx) = sync_channel::<(u64, Result<Done, CliError>)>(threads * 2);

    std::thread::scope(|scope| {
        let reader =
            scope.spawn(move || read(input, |seq, chunk| chunks_tx.send((seq, chunk)).is_ok()));
        for _ in 0..threads {
            let (chunks_rx, done_tx) = (Arc::clone(&chunks_rx), done_tx.clone());
            scope.spawn(move || work(check, format, &chunks_rx, &done_tx));
        }
        // The workers hold the only receivers and senders now: when they stop, the reader's
        // sends fail and the loop below ends.
        drop((chunks_rx, done_tx));
        let written = write_in_order(&done_rx, tally);
        // Stop the pipeline before waiting for the reader, whatever happened.
        drop(done_rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(CliError::usage("the reading thread failed")));
        written?;
        // A read error is reported even if every line read so far was written.
        read
    })
}

/// `--threads 1`: everything on this thread, one chunk after the other (the baseline the
/// pipeline is measured against).
fn alone(
    check: &Check,
    format: Format,
    input: impl BufRead,
    tally: &mut Tally<'_, impl Write>,
) -> Result<(), CliError> {
    let mut failed = None;
    read(input, |_, chunk| {
        match settle(check, format, &chunk).and_then(|part| tally.write(part)) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    failed.map_or(Ok(()), Err)
}

/// Reads lines and hands them to `chunk` [`CHUNK`] at a time, numbered from 0; stops early
/// when `chunk` returns false.
fn read(
    input: impl BufRead,
    mut chunk_done: impl FnMut(u64, Vec<Entry>) -> bool,
) -> Result<(), CliError> {
    let mut lines = Lines::new(input, LINE_CAP);
    let mut seq = 0u64;
    let mut chunk = Vec::with_capacity(CHUNK);
    while let Some(line) = lines
        .next_line()
        .map_err(|e| CliError::usage(format!("stdin: {e}")))?
    {
        // Blank lines (a trailing one, a spacer) are not tokens: skipped, not failed.
        if matches!(&line, Line::Text(t) if t.trim().is_empty()) {
            continue;
        }
        chunk.push((lines.number, token_on(line)));
        if chunk.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if !chunk_done(seq, full) {
                return Ok(());
            }
            seq += 1;
        }
    }
    if !chunk.is_empty() {
        chunk_done(seq, chunk);
    }
    Ok(())
}

fn token_on(line: Line) -> Result<String, Error> {
    match line {
        Line::Text(t) => find_token(&t).map(|t| t.into_owned()),
        Line::NotUtf8 => Err(Error::Malformed {
            reason: "line is not UTF-8",
        }),
        Line::TooLong => Err(Error::TooLarge {
            len: LINE_CAP + 1,
            max: LINE_CAP,
        }),
    }
}

/// A worker: takes chunks until there are none, settles each.
fn work(
    check: &Check,
    format: Format,
    chunks: &Mutex<Receiver<(u64, Vec<Entry>)>>,
    done: &std::sync::mpsc::SyncSender<(u64, Result<Done, CliError>)>,
) {
    loop {
        let next = match chunks.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, chunk)) = next else {
            return;
        };
        if done.send((seq, settle(check, format, &chunk))).is_err() {
            return;
        }
    }
}

/// Writes settled chunks in input order as they arrive.
fn write_in_order(
    done: &Receiver<(u64, Result<Done, CliError>)>,
    tally: &mut Tally<'_, impl Write>,
) -> Result<(), CliError> {
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, settled) in done {
        waiting.insert(seq, settled?);
        while let Some(part) = waiting.remove(&next) {
            tally.write(part)?;
            next += 1;
        }
    }
    Ok(())
}

/// One chunk, settled: its output lines, how many, and whether every token was valid.
struct Done {
    text: String,
    count: usize,
    all_valid: bool,
}

/// Verifies a chunk (one batch verification), checks the email and the store, and formats
/// one result line per entry.
fn settle(check: &Check, format: Format, part: &[Entry]) -> Result<Done, CliError> {
    let now = check.at().unwrap_or_else(OffsetDateTime::now_utc);
    let found: Vec<&str> = part
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().map(String::as_str))
        .collect();
    let mut verified = check.verifier().verify_batch_at(&found, now).into_iter();
    let mut done = Done {
        text: String::with_capacity(part.len() * 96),
        count: part.len(),
        all_valid: true,
    };
    for (line, entry) in part {
        let result = match entry {
            Err(e) => Err(e.clone()),
            Ok(_) => match verified.next() {
                Some(r) => r.and_then(|inv| check.email_matches(inv)),
                None => Err(Error::MissingToken),
            },
        };
        let result = check.after(result);
        done.all_valid &= result.is_ok();
        done.text
            .push_str(&result_line(format, Some(*line), &result)?);
        done.text.push('\n');
    }
    Ok(done)
}
