//! The rows of `mint --emails FILE`: a plain list of addresses, or CSV as spreadsheets write
//! it (the `csv` crate: quoting, fields over several lines, a UTF-8 byte-order mark), with
//! `,`, `;` or tab between fields, detected from the first line unless `--delimiter` says.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use crate::util::CliError;

/// How far into the input the delimiter is looked for.
const SNIFF: usize = 64 * 1024;

/// Which field holds what, from a header row.
pub(crate) struct Columns {
    email: usize,
    inviter: Option<usize>,
    max_uses: Option<usize>,
}

/// One row: its line number and what it asks for, or why it cannot be read.
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) fields: Result<Fields, String>,
}

/// What a row asks for.
pub(crate) struct Fields {
    pub(crate) email: String,
    pub(crate) inviter: Option<String>,
    pub(crate) max_uses: Option<u32>,
}

/// The rows of one input.
pub(crate) struct EmailRows {
    reader: csv::Reader<Box<dyn Read>>,
    columns: Option<Columns>,
    /// A first row that was data, not a header, still to be returned.
    pending: Option<(csv::ByteRecord, u64)>,
    lines: Rc<RefCell<LineIndex>>,
    name: String,
    /// The file's size (none for stdin), for progress.
    size: Option<u64>,
}

/// Line numbers from byte offsets: the reader notes where each newline is as the CSV parser
/// reads, and [`LineIndex::line_at`] drops those before a record as records go by, so it holds
/// no more than the parser's buffer.
#[derive(Default)]
struct LineIndex {
    read: u64,
    newlines: VecDeque<u64>,
    passed: u64,
    last_passed: Option<u64>,
}

impl LineIndex {
    /// The 1-based line of byte `offset` (offsets only grow from call to call), counting
    /// every newline before it.
    fn line_at(&mut self, offset: u64) -> u64 {
        while let Some(at) = self.newlines.front().copied().filter(|&at| at < offset) {
            self.newlines.pop_front();
            self.passed += 1;
            self.last_passed = Some(at);
        }
        self.passed + 1
    }
}

/// A reader that tells a [`LineIndex`] where its newlines are.
struct Counted<R> {
    inner: R,
    lines: Rc<RefCell<LineIndex>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.borrow_mut();
        let start = lines.read;
        for (i, _) in buf[..n].iter().enumerate().filter(|(_, b)| **b == b'\n') {
            lines.newlines.push_back(start + i as u64);
        }
        lines.read += n as u64;
        Ok(n)
    }
}

/// The delimiter named by `--delimiter`: `,`, `;`, `tab` (or a tab), `|`.
pub(crate) fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err(format!(
            "{text:?}: expected one of , ; tab | (or comma, semicolon, pipe)"
        )),
    }
}

impl EmailRows {
    /// Opens `path` (`-`: stdin) and reads its header, if it has one.
    pub(crate) fn open(path: &Path, delimiter: Option<u8>) -> Result<EmailRows, CliError> {
        let name = path.display().to_string();
        let (source, size): (Box<dyn Read>, _) = if name == "-" {
            (Box::new(std::io::stdin()), None)
        } else {
            let file = std::fs::File::open(path).map_err(|e| CliError::io(path, &e))?;
            let size = file
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            (Box::new(file), size)
        };
        let mut input = BufReader::with_capacity(SNIFF, source);
        let io = |e: std::io::Error| CliError::io(path, &e);
        // Excel's "CSV UTF-8" starts with a byte-order mark; it is not part of the header.
        if input.fill_buf().map_err(io)?.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
        }
        let delimiter = match delimiter {
            Some(d) => d,
            None => sniff(input.fill_buf().map_err(io)?),
        };
        let lines = Rc::new(RefCell::new(LineIndex::default()));
        let counted = Counted {
            inner: input,
            lines: Rc::clone(&lines),
        };
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(Box::new(counted) as Box<dyn Read>);
        let mut first = csv::ByteRecord::new();
        let mut rows = EmailRows {
            reader,
            columns: None,
            pending: None,
            lines,
            name,
            size,
        };
        let Some(first_line) = rows.read(&mut first)? else {
            return Ok(rows);
        };
        let find = |wanted: &str| {
            first
                .iter()
                .position(|f| f.eq_ignore_ascii_case(wanted.as_bytes()))
        };
        if let Some(email) = find("email") {
            rows.columns = Some(Columns {
                email,
                inviter: find("inviter"),
                max_uses: find("max_uses"),
            });
        } else if first.len() == 1 {
            rows.pending = Some((first, first_line));
        } else {
            let line = first_line;
            return Err(CliError::usage(format!(
                "{}:{line}: {} fields but no header naming an `email` column (or give a \
                 plain list, one address per line; --delimiter if the fields are split wrong)",
                rows.name,
                first.len()
            )));
        }
        Ok(rows)
    }

    /// The input's size in bytes, when it is a file.
    pub(crate) fn size(&self) -> Option<u64> {
        self.size
    }

    /// How many bytes of the input have been read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.lines.borrow().read
    }

    /// The input's name, for messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Whether the input had a header row (CSV) rather than a plain list.
    pub(crate) fn has_header(&self) -> bool {
        self.columns.is_some()
    }

    /// The next row with anything in it, or `None` at the end.
    pub(crate) fn next_row(&mut self) -> Result<Option<Row>, CliError> {
        loop {
            let (record, line) = match self.pending.take() {
                Some(pending) => pending,
                None => {
                    let mut record = csv::ByteRecord::new();
                    match self.read(&mut record)? {
                        Some(line) => (record, line),
                        None => return Ok(None),
                    }
                }
            };
            if record.iter().all(<[u8]>::is_empty) {
                continue;
            }
            return Ok(Some(Row {
                line,
                fields: fields(&record, self.columns.as_ref()),
            }));
        }
    }

    /// Reads the next record; the line it starts on, or `None` at the end. The parser's
    /// record position can point at blank or comment lines it skipped, so the line is worked
    /// out from where the record ends, less the newlines inside its fields.
    fn read(&mut self, record: &mut csv::ByteRecord) -> Result<Option<u64>, CliError> {
        let more = self
            .reader
            .read_byte_record(record)
            .map_err(|e| CliError::usage(format!("{}: {e}", self.name)))?;
        if !more {
            return Ok(None);
        }
        let end = self.reader.position().byte();
        let mut index = self.lines.borrow_mut();
        let mut line = index.line_at(end);
        if end > 0 && index.last_passed == Some(end - 1) {
            // The newline that ended the record.
            line -= 1;
        }
        let inside = record
            .iter()
            .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
            .sum::<u64>();
        Ok(Some(line.saturating_sub(inside).max(1)))
    }
}

/// The field delimiter of the first line with data: whichever of `,`, `;` and tab appears
/// most outside quotes (`,` when none does: a plain list).
fn sniff(head: &[u8]) -> u8 {
    let line = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .find(|l| !l.trim_ascii().is_empty() && !l.starts_with(b"#"))
        .unwrap_or_default();
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in &mut counts {
                if *d == b {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(d, n)| (*n, *d == b','))
        .map_or(b',', |(d, _)| *d)
}

fn fields(record: &csv::ByteRecord, columns: Option<&Columns>) -> Result<Fields, String> {
    let text = |i: usize| -> Result<Option<String>, String> {
        match record.get(i) {
            None | Some(b"") => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(|s| Some(s.to_owned()))
                .map_err(|_| "not UTF-8 (save the file as CSV UTF-8)".to_owned()),
        }
    };
    let Some(columns) = columns else {
        let email = text(0)?.ok_or("no address")?;
        return Ok(Fields {
            email,
            inviter: None,
            max_uses: None,
        });
    };
    let email = text(columns.email)?.ok_or("no email in this row")?;
    let inviter = columns.inviter.map(text).transpose()?.flatten();
    let max_uses = match columns.max_uses.map(text).transpose()?.flatten() {
        None => None,
        Some(max) => Some(
            max.parse::<u32>()
                .map_err(|_| format!("max_uses {max:?} is not a whole number"))?,
        ),
    };
    Ok(Fields {
        email,
        inviter,
        max_uses,
    })
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn sniffs_the_delimiter_of_the_first_data_line() {
        assert_eq!(sniff(b"email,inviter\na;b"), b',');
        assert_eq!(sniff(b"# a, comment\nname;email\n"), b';');
        assert_eq!(sniff(b"\"Lovelace, Ada\"\tada@example.com\n"), b'\t');
        assert_eq!(sniff(b"ada@example.com\n"), b',');
        assert_eq!(sniff(b""), b',');
    }
}
