//! Chunk-fed record splitter: turns a landing file's text, fed in chunks of any size, into one
//! piece per JSON record with its 1-based line number, and accounts for every byte it is fed.
//! A file never has to be in memory whole.
//!
//! Framing is decided at every top-level position, not once per file, so a file may mix them
//! (Firehose batches: several arrays, one per line; NDJSON lines after an array; the reverse):
//! - **line**: a top-level byte that is not blank, `,` or `[` starts a record that runs to the end
//!   of its line (NDJSON and the older export style). Surrounding blanks, `\r` and one trailing `,`
//!   (`},` style) are framing.
//! - **array**: a top-level `[` opens an array; each element is a record, numbered by the line it
//!   starts on, on one line or pretty-printed. After its `]` the splitter is back at the top level.
//!
//! Inside an array the splitter follows the JSON grammar (objects, arrays, strings, scalars). A
//! syntax error (a byte the grammar does not allow there, or a line break inside a string, which
//! JSON never allows) ends the element as [`Piece::Damaged`]; the splitter then re-synchronises at
//! the next place an element can start: the offending `{`, a `}` `,` `{` sequence, or the next line
//! that starts with `{`, `[` or `]` (after blanks, or a leading `,`). Only the damaged element is
//! lost, and it is reported.
//!
//! Coverage: every byte fed is either in exactly one piece's text (`Piece::len`) or framing
//! (blanks, line breaks, `[`, `]`, separators, a trailing `,`): `fed = Σ piece lengths + framing`,
//! which [`Splitter::framing_bytes`] and [`Splitter::fed_bytes`] let the caller check.
//!
//! Limits: a record's text (trimmed; without its line break, blanks or trailing comma) longer than
//! [`MAX_RECORD_BYTES`] is reported as [`Piece::TooLong`] with only its first bytes kept, so memory
//! stays bounded, and the outcome never depends on where chunk boundaries fall.

/// The longest record text kept (a STEDI record is a few hundred bytes).
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// How much of a bad record's text is kept for the quarantine report.
pub const RAW_SNIPPET_BYTES: usize = 200;

/// What the splitter hands on. Every variant carries the line its text starts on and the length in
/// bytes of that text (see [`Piece::len`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// One record's text (trimmed, without a trailing comma).
    Record {
        /// 1-based line the text starts on.
        line: u64,
        /// The text, at most [`MAX_RECORD_BYTES`] long.
        bytes: &'a [u8],
    },
    /// A record whose text is over the size limit; `head` is its beginning, `bytes` its length.
    TooLong {
        /// 1-based line the text starts on.
        line: u64,
        /// Length of the whole text in bytes (more than [`MAX_RECORD_BYTES`]).
        bytes: u64,
        /// Its first [`RAW_SNIPPET_BYTES`] bytes at most.
        head: &'a [u8],
    },
    /// The file ended inside an array element.
    Truncated {
        /// 1-based line the element starts on.
        line: u64,
        /// Length in bytes of the element's text up to the end of the file (trailing blanks excluded).
        bytes: u64,
        /// Its first [`RAW_SNIPPET_BYTES`] bytes at most.
        head: &'a [u8],
    },
    /// An array element cut short by a JSON syntax error (its text up to where the splitter
    /// re-synchronised).
    Damaged {
        /// 1-based line the element starts on.
        line: u64,
        /// Length in bytes of the damaged text (trailing blanks and a separating `,` excluded).
        bytes: u64,
        /// Its first [`RAW_SNIPPET_BYTES`] bytes at most.
        head: &'a [u8],
    },
}

impl Piece<'_> {
    /// Bytes of the file this piece's text covers.
    pub fn len(&self) -> u64 {
        match *self {
            Piece::Record { bytes, .. } => bytes.len() as u64,
            Piece::TooLong { bytes, .. } | Piece::Truncated { bytes, .. } | Piece::Damaged { bytes, .. } => bytes,
        }
    }

    /// Whether the piece covers no bytes (never true for a piece the splitter emits).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The text of the record being collected: its first [`MAX_RECORD_BYTES`] bytes kept, the rest
/// counted, and the trailing bytes that trimming would drop tracked as a run
/// (`blanks [, blanks]` for lines, `blanks` otherwise) so that the trimmed length is known exactly
/// whatever the chunking.
#[derive(Debug, Default)]
struct RecordText {
    kept: Vec<u8>,
    total: u64,
    /// Length up to the end of the last byte that is not part of the trailing run.
    content: u64,
    run: Run,
    /// One trailing `,` (and the blanks around it) is framing: lines only.
    comma_is_framing: bool,
}

/// The trailing run: `ws_a` blanks, then (lines only) an optional `,` and `ws_b` blanks.
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    ws_a: u64,
    comma: bool,
    ws_b: u64,
}

impl RecordText {
    fn start(&mut self, comma_is_framing: bool) {
        self.kept.clear();
        self.total = 0;
        self.content = 0;
        self.run = Run::default();
        self.comma_is_framing = comma_is_framing;
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = KEEP_BYTES.saturating_sub(self.kept.len()).min(bytes.len());
        self.kept.extend_from_slice(&bytes[..room]);
        let comma_is_framing = self.comma_is_framing;
        let trimmable = |b: u8| is_blank(b) || (comma_is_framing && b == b',');
        // Everything up to the last byte that can never be trimmed is content.
        let tail_from = match bytes.iter().rposition(|&b| !trimmable(b)) {
            Some(j) => {
                self.content = self.total + j as u64 + 1;
                self.run = Run::default();
                j + 1
            }
            None => 0,
        };
        for &b in &bytes[tail_from..] {
            self.push_trailing(b);
        }
        self.total += bytes.len() as u64;
    }

    /// Extend the trailing run by one blank or comma.
    fn push_trailing(&mut self, b: u8) {
        if b == b',' {
            if self.run.comma {
                // A second comma: the blanks before the first comma and that comma are content
                // after all; the blanks between the two commas are trailing blanks before the new one.
                self.content += self.run.ws_a + 1;
                self.run = Run {
                    ws_a: self.run.ws_b,
                    comma: false,
                    ws_b: 0,
                };
            }
            self.run.comma = true;
        } else if self.run.comma {
            self.run.ws_b += 1;
        } else {
            self.run.ws_a += 1;
        }
    }

    /// The trimmed text's length.
    fn len(&self) -> u64 {
        self.content
    }

    /// The trimmed text, when it is within the limit.
    fn text(&self) -> Option<&[u8]> {
        (self.content <= MAX_RECORD_BYTES as u64).then(|| &self.kept[..self.content as usize])
    }

    fn head(&self) -> &[u8] {
        snippet(&self.kept[..(self.content as usize).min(self.kept.len())])
    }

    /// Bytes collected that trimming drops (framing).
    fn trimmed(&self) -> u64 {
        self.total - self.content
    }
}

/// Where the splitter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the top level, between records.
    Top,
    /// Inside a line record (to the end of the line).
    Line,
    /// Inside a top-level array, between elements.
    ArrayGap,
    /// Inside an array element.
    Element,
    /// After a syntax error inside an array: skipping to a place where an element can start.
    Recovering,
}

/// What the JSON grammar allows next inside an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (after `:` or `,` in an array, or at the element's start).
    Value,
    /// A value or `]` (after `[`).
    ValueOrClose,
    /// A key or `}` (after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// `:` (after a key).
    Colon,
    /// `,` or the container's close (after a value).
    CommaOrClose,
}

/// The chunk-fed splitter of one file. See the module comment.
#[derive(Debug)]
pub struct Splitter {
    state: State,
    rec: RecordText,
    /// 1-based number of the line being read.
    line: u64,
    /// Line on which the current piece started.
    start_line: u64,
    /// Open containers inside the current element (`{` or `[`).
    stack: Vec<u8>,
    expect: Expect,
    in_string: bool,
    string_is_key: bool,
    escaped: bool,
    in_scalar: bool,
    /// Recovering: only blanks seen since the last line break.
    at_line_start: bool,
    /// Recovering: the last two bytes that were not blank (for the `}` `,` `{` pattern).
    last_sig: [u8; 2],
    /// Recovering from junk between elements (not inside one): any `{`, `[`, `]` or `,` resyncs.
    gap_junk: bool,
    framing: u64,
    fed: u64,
}

impl Default for Splitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Splitter {
    /// A splitter at the start of a file.
    pub fn new() -> Self {
        Splitter {
            state: State::Top,
            rec: RecordText::default(),
            line: 1,
            start_line: 1,
            stack: Vec::new(),
            expect: Expect::Value,
            in_string: false,
            string_is_key: false,
            escaped: false,
            in_scalar: false,
            at_line_start: true,
            last_sig: [0; 2],
            gap_junk: false,
            framing: 0,
            fed: 0,
        }
    }

    /// Bytes fed so far that belong to no piece (blanks, line breaks, `[`, `]`, separators).
    pub fn framing_bytes(&self) -> u64 {
        self.framing
    }

    /// Bytes fed so far.
    pub fn fed_bytes(&self) -> u64 {
        self.fed
    }

    /// Feed the next chunk; `out` receives every piece completed by it.
    pub fn feed(&mut self, chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        self.fed += chunk.len() as u64;
        let mut i = 0;
        while i < chunk.len() {
            i = match self.state {
                State::Top => self.top(chunk, i),
                State::Line => self.line_record(chunk, i, out),
                _ => self.array_byte(chunk, i, out),
            };
        }
    }

    /// Signal the end of the file; flushes the piece in progress.
    pub fn finish(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        match self.state {
            State::Top | State::ArrayGap => {}
            State::Line => self.emit_line(out),
            State::Element => {
                if self.in_scalar && self.stack.is_empty() {
                    // A scalar element at the end of an unclosed array is complete.
                    self.emit_element(out);
                } else {
                    let (line, bytes) = (self.start_line, self.rec.len());
                    self.framing += self.rec.trimmed();
                    out(Piece::Truncated {
                        line,
                        bytes,
                        head: self.rec.head(),
                    });
                }
            }
            State::Recovering => self.emit_damaged(out),
        }
        // (A missing final `]` loses nothing and is accepted.)
        self.state = State::Top;
    }

    /// Top level: blanks, `,` and `[` are framing; anything else starts a line record.
    fn top(&mut self, chunk: &[u8], mut i: usize) -> usize {
        while i < chunk.len() {
            let b = chunk[i];
            if b == b'\n' {
                self.line += 1;
            } else if b == b'[' {
                self.framing += 1;
                self.enter_array();
                return i + 1;
            } else if !is_blank(b) && b != b',' {
                self.state = State::Line;
                self.start_line = self.line;
                self.rec.start(true);
                return i;
            }
            self.framing += 1;
            i += 1;
        }
        i
    }

    fn enter_array(&mut self) {
        self.state = State::ArrayGap;
    }

    /// Inside a line record: collect to the end of the line.
    fn line_record(&mut self, chunk: &[u8], i: usize, out: &mut dyn FnMut(Piece<'_>)) -> usize {
        let rest = &chunk[i..];
        match memchr::memchr(b'\n', rest) {
            Some(nl) => {
                if self.rec.total == 0 {
                    // Fast path: the whole line is inside this chunk.
                    self.emit_line_slice(&rest[..nl], out);
                } else {
                    self.rec.push(&rest[..nl]);
                    self.emit_line(out);
                }
                self.framing += 1; // the line break
                self.line += 1;
                self.state = State::Top;
                i + nl + 1
            }
            None => {
                self.rec.push(rest);
                chunk.len()
            }
        }
    }

    /// A whole line (from its first non-blank byte, without the line break) in one slice.
    fn emit_line_slice(&mut self, line: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        let end = line_end(line);
        self.framing += (line.len() - end) as u64;
        let mut text = &line[..end];
        if let Some(t) = text.strip_prefix(UTF8_BOM) {
            // A byte-order mark inside the file (files concatenated with `cat`) is framing.
            self.framing += UTF8_BOM.len() as u64;
            text = t;
        }
        emit_text(self.start_line, text, text.len() as u64, out);
    }

    fn emit_line(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        self.framing += self.rec.trimmed();
        // A byte-order mark inside the file (files concatenated with `cat`) is framing.
        let bom = if self.rec.kept.starts_with(UTF8_BOM) && self.rec.len() >= UTF8_BOM.len() as u64 {
            UTF8_BOM.len()
        } else {
            0
        };
        self.framing += bom as u64;
        let len = self.rec.len() - bom as u64;
        let end = (self.rec.len() as usize).min(self.rec.kept.len());
        let text = &self.rec.kept[bom..end];
        if len <= MAX_RECORD_BYTES as u64 {
            emit_text(self.start_line, text, len, out);
        } else {
            out(Piece::TooLong {
                line: self.start_line,
                bytes: len,
                head: snippet(text),
            });
        }
        self.rec.start(true);
    }

    /// One byte inside a top-level array (between elements, in one, or recovering).
    fn array_byte(&mut self, chunk: &[u8], i: usize, out: &mut dyn FnMut(Piece<'_>)) -> usize {
        let b = chunk[i];
        match self.state {
            State::ArrayGap => {
                if b == b'\n' {
                    self.line += 1;
                }
                if is_blank(b) || b == b',' {
                    self.framing += 1;
                } else if b == b']' {
                    self.framing += 1;
                    self.state = State::Top;
                } else {
                    self.start_element();
                    return i; // the element's first byte, read in state Element
                }
                i + 1
            }
            State::Element => self.element_byte(chunk, i, out),
            State::Recovering => {
                if self.recover_byte(b, out) {
                    i
                } else {
                    i + 1
                }
            }
            State::Top | State::Line => unreachable!("array_byte outside an array"),
        }
    }

    fn start_element(&mut self) {
        self.state = State::Element;
        self.start_line = self.line;
        self.rec.start(false);
        self.stack.clear();
        self.expect = Expect::Value;
        self.in_string = false;
        self.escaped = false;
        self.in_scalar = false;
    }

    /// Read an element from `chunk[i..]` until it ends, fails or the chunk ends. Returns where to
    /// continue (the byte after the element, or the byte that ended a scalar or broke the
    /// grammar, read again in the new state). The element's bytes are appended in one piece.
    fn element_byte(&mut self, chunk: &[u8], i: usize, out: &mut dyn FnMut(Piece<'_>)) -> usize {
        let mut j = i;
        while j < chunk.len() {
            if self.in_string {
                // Run to the next quote, backslash or line break.
                if self.escaped {
                    if chunk[j] == b'\n' {
                        self.rec.push(&chunk[i..j]);
                        return self.syntax_error(chunk, j, out);
                    }
                    self.escaped = false;
                    j += 1;
                    continue;
                }
                let n = memchr::memchr3(b'"', b'\\', b'\n', &chunk[j..]).unwrap_or(chunk.len() - j);
                j += n;
                if j == chunk.len() {
                    break;
                }
                match chunk[j] {
                    b'\n' => {
                        // JSON strings never hold a raw line break: the element is damaged.
                        self.rec.push(&chunk[i..j]);
                        return self.syntax_error(chunk, j, out);
                    }
                    b'\\' => self.escaped = true,
                    _ => {
                        self.in_string = false;
                        if self.string_is_key {
                            self.expect = Expect::Colon;
                        } else if self.value_ends() {
                            self.rec.push(&chunk[i..=j]);
                            self.emit_element(out);
                            return j + 1;
                        }
                    }
                }
                j += 1;
                continue;
            }
            let b = chunk[j];
            if self.in_scalar {
                if is_scalar_byte(b) {
                    j += 1;
                    continue;
                }
                self.in_scalar = false;
                if self.value_ends() {
                    // The scalar was the element; `b` is read between elements.
                    self.rec.push(&chunk[i..j]);
                    self.emit_element(out);
                    return j;
                }
            }
            if is_blank(b) {
                if b == b'\n' {
                    self.line += 1;
                }
                j += 1;
                continue;
            }
            let ok = match b {
                b'{' | b'[' if matches!(self.expect, Expect::Value | Expect::ValueOrClose) => {
                    self.stack.push(b);
                    self.expect = if b == b'{' {
                        Expect::KeyOrClose
                    } else {
                        Expect::ValueOrClose
                    };
                    true
                }
                b'}' if self.stack.last() == Some(&b'{')
                    && matches!(self.expect, Expect::KeyOrClose | Expect::CommaOrClose) =>
                {
                    self.stack.pop();
                    if self.value_ends() {
                        self.rec.push(&chunk[i..=j]);
                        self.emit_element(out);
                        return j + 1;
                    }
                    true
                }
                b']' if self.stack.last() == Some(&b'[')
                    && matches!(self.expect, Expect::ValueOrClose | Expect::CommaOrClose) =>
                {
                    self.stack.pop();
                    if self.value_ends() {
                        self.rec.push(&chunk[i..=j]);
                        self.emit_element(out);
                        return j + 1;
                    }
                    true
                }
                b',' if self.expect == Expect::CommaOrClose => {
                    self.expect = if self.stack.last() == Some(&b'{') {
                        Expect::Key
                    } else {
                        Expect::Value
                    };
                    true
                }
                b':' if self.expect == Expect::Colon => {
                    self.expect = Expect::Value;
                    true
                }
                b'"' if matches!(self.expect, Expect::Key | Expect::KeyOrClose) => {
                    (self.in_string, self.string_is_key) = (true, true);
                    true
                }
                b'"' if matches!(self.expect, Expect::Value | Expect::ValueOrClose) => {
                    (self.in_string, self.string_is_key) = (true, false);
                    true
                }
                _ if is_scalar_byte(b) && matches!(self.expect, Expect::Value | Expect::ValueOrClose) => {
                    self.in_scalar = true;
                    true
                }
                _ => false,
            };
            if !ok {
                self.rec.push(&chunk[i..j]);
                return self.syntax_error(chunk, j, out);
            }
            j += 1;
        }
        self.rec.push(&chunk[i..j]);
        j
    }

    /// A value just ended: `true` when it was the element itself (the element is complete),
    /// else the container now expects `,` or its close.
    fn value_ends(&mut self) -> bool {
        if self.stack.is_empty() {
            true
        } else {
            self.expect = Expect::CommaOrClose;
            false
        }
    }

    fn emit_element(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        self.framing += self.rec.trimmed();
        let len = self.rec.len();
        match self.rec.text() {
            Some(t) => out(Piece::Record {
                line: self.start_line,
                bytes: t,
            }),
            None => out(Piece::TooLong {
                line: self.start_line,
                bytes: len,
                head: self.rec.head(),
            }),
        }
        self.state = State::ArrayGap;
    }

    /// A byte the grammar does not allow (or a line break in a string) at `chunk[i]`.
    fn syntax_error(&mut self, chunk: &[u8], i: usize, out: &mut dyn FnMut(Piece<'_>)) -> usize {
        let b = chunk[i];
        if b == b'{' {
            // Most often an element whose close is missing: the next element starts here.
            self.emit_damaged(out);
            self.start_element();
            return i;
        }
        self.gap_junk = self.rec.total == 0;
        self.state = State::Recovering;
        // At a line start when only blanks follow the element text's last line break.
        let kept = &self.rec.kept;
        let blanks = kept
            .iter()
            .rev()
            .take_while(|&&c| matches!(c, b' ' | b'\t' | b'\r'))
            .count();
        self.at_line_start = kept.len() > blanks && kept[kept.len() - blanks - 1] == b'\n';
        self.last_sig = [0; 2];
        i // the byte is read again while recovering
    }

    /// One byte while recovering. Returns `true` when the byte must be read again in the new state.
    fn recover_byte(&mut self, b: u8, out: &mut dyn FnMut(Piece<'_>)) -> bool {
        if b == b'\n' {
            self.line += 1;
            self.rec.push(&[b]);
            self.at_line_start = true;
            return false;
        }
        if is_blank(b) {
            self.rec.push(&[b]);
            return false;
        }
        if self.at_line_start && b == b',' {
            // The leading-comma style (`,{…}` starting each line): the comma is a separator.
            self.rec.push(&[b]);
            return false;
        }
        let resync = (self.at_line_start && matches!(b, b'{' | b'[' | b']'))
            || (b == b'{' && self.last_sig == [b'}', b','])
            || (self.gap_junk && matches!(b, b'{' | b'[' | b']' | b','));
        if resync {
            self.emit_damaged(out);
            if self.at_line_start && b == b'[' {
                // A line that starts with `[` after damage opens the next array (one array per
                // line, the Firehose recipe): the damaged array ends here.
                self.state = State::Top;
            }
            return true;
        }
        self.at_line_start = false;
        self.last_sig = [self.last_sig[1], b];
        self.rec.push(&[b]);
        false
    }

    fn emit_damaged(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        // The damaged text ends at its last non-blank byte; a separating `,` before a resync
        // point is framing like any separator.
        let mut len = self.rec.len();
        let kept = &self.rec.kept[..(len as usize).min(self.rec.kept.len())];
        if kept.len() as u64 == len {
            let t = trim_end(kept);
            let t = t.strip_suffix(b",").map(trim_end).unwrap_or(t);
            len = t.len() as u64;
        }
        self.framing += self.rec.total - len;
        if len > 0 {
            out(Piece::Damaged {
                line: self.start_line,
                bytes: len,
                head: snippet(&self.rec.kept[..(len as usize).min(self.rec.kept.len())]),
            });
        }
        self.rec.start(false);
        self.state = State::ArrayGap;
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Bytes of a record's text kept: the limit, and room for a byte-order mark before it.
const KEEP_BYTES: usize = MAX_RECORD_BYTES + 3;

/// A line record's text: too long or not.
fn emit_text(line: u64, text: &[u8], len: u64, out: &mut dyn FnMut(Piece<'_>)) {
    if text.is_empty() {
        return;
    }
    if text.len() > MAX_RECORD_BYTES {
        out(Piece::TooLong {
            line,
            bytes: len,
            head: snippet(text),
        });
    } else {
        out(Piece::Record { line, bytes: text });
    }
}

/// Where a line's record text ends: blanks, then one `,`, then blanks are trimmed.
fn line_end(line: &[u8]) -> usize {
    let t = trim_end(line);
    t.strip_suffix(b",").map(trim_end).unwrap_or(t).len()
}

/// The first bytes of a text, for reports.
pub fn snippet(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(RAW_SNIPPET_BYTES)]
}

/// JSON's blanks (space, tab, CR, LF) and the other ASCII whitespace bytes.
#[inline]
fn is_blank(b: u8) -> bool {
    b.is_ascii_whitespace()
}

/// Bytes that continue a number or a `true`/`false`/`null` literal (validated later by the decoder).
#[inline]
fn is_scalar_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')
}

fn trim_end(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., last] = b {
        if is_blank(*last) {
            b = rest;
        } else {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `input` fed in chunks of `chunk` bytes; returns (line, text) per piece, with
    /// `!too_long n` / `!truncated` / `!damaged <text>` markers for the other pieces, and checks
    /// the coverage identity.
    fn split(input: &[u8], chunk: usize) -> Vec<(u64, String)> {
        let mut s = Splitter::new();
        let mut got = Vec::new();
        let mut covered = 0u64;
        let mut out = |p: Piece<'_>| {
            covered += p.len();
            match p {
                Piece::Record { line, bytes } => got.push((line, String::from_utf8_lossy(bytes).into_owned())),
                Piece::TooLong { line, bytes, .. } => got.push((line, format!("!too_long {bytes}"))),
                Piece::Truncated { line, .. } => got.push((line, "!truncated".into())),
                Piece::Damaged { line, head, .. } => {
                    got.push((line, format!("!damaged {}", String::from_utf8_lossy(head))))
                }
            }
        };
        for c in input.chunks(chunk.max(1)) {
            s.feed(c, &mut out);
        }
        s.finish(&mut out);
        assert_eq!(s.fed_bytes(), input.len() as u64);
        assert_eq!(
            covered + s.framing_bytes(),
            input.len() as u64,
            "coverage, chunk {chunk}"
        );
        got
    }

    fn each_chunking(input: &[u8], expect: &[(u64, &str)]) {
        for chunk in [1, 2, 3, 4, 7, 64, input.len().max(1)] {
            let got = split(input, chunk);
            let want: Vec<(u64, String)> = expect.iter().map(|(l, s)| (*l, s.to_string())).collect();
            assert_eq!(got, want, "chunk size {chunk}");
        }
    }

    #[test]
    fn ndjson_with_crlf_blank_lines_and_no_final_newline() {
        each_chunking(
            b"{\"a\":1}\r\n\r\n  {\"a\":2}  \n\n{\"a\":3}",
            &[(1, "{\"a\":1}"), (3, "{\"a\":2}"), (5, "{\"a\":3}")],
        );
    }

    #[test]
    fn older_export_style_trailing_commas() {
        each_chunking(
            b"{\"a\":1},\n{\"a\":2} , \r\n{\"a\":3}\n",
            &[(1, "{\"a\":1}"), (2, "{\"a\":2}"), (3, "{\"a\":3}")],
        );
        // Only one trailing comma is framing.
        each_chunking(b"{\"a\":1},,\n", &[(1, "{\"a\":1},")]);
        each_chunking(
            b"{\"a\":1} ,\t\t, \n{\"a\":2}\n",
            &[(1, "{\"a\":1} ,"), (2, "{\"a\":2}")],
        );
    }

    #[test]
    fn one_line_array_and_pretty_array() {
        each_chunking(
            b"[{\"a\":1},{\"a\":\"]}\"}, {\"a\":3}]",
            &[(1, "{\"a\":1}"), (1, "{\"a\":\"]}\"}"), (1, "{\"a\":3}")],
        );
        each_chunking(
            b"\n[\n  {\n    \"a\": 1\n  },\n  {\"a\": [2, {\"b\": 3}]}\n]\n",
            &[(3, "{\n    \"a\": 1\n  }"), (6, "{\"a\": [2, {\"b\": 3}]}")],
        );
    }

    #[test]
    fn several_arrays_and_lines_mixed_in_one_file() {
        // The Firehose batch recipe: arrays one per line, then NDJSON, then an array again.
        each_chunking(
            b"[{\"a\":1},{\"a\":2}]\n[{\"a\":3}]\n{\"a\":4}\n[\n{\"a\":5}\n]\n{\"a\":6},\n",
            &[
                (1, "{\"a\":1}"),
                (1, "{\"a\":2}"),
                (2, "{\"a\":3}"),
                (3, "{\"a\":4}"),
                (5, "{\"a\":5}"),
                (7, "{\"a\":6}"),
            ],
        );
        // Arrays glued together, and a comma between them.
        each_chunking(
            b"[{\"a\":1}][{\"a\":2}],[{\"a\":3}]",
            &[(1, "{\"a\":1}"), (1, "{\"a\":2}"), (1, "{\"a\":3}")],
        );
    }

    #[test]
    fn array_scalars_and_truncation() {
        each_chunking(b"[1, \"x\", {\"a\":1}", &[(1, "1"), (1, "\"x\""), (1, "{\"a\":1}")]);
        each_chunking(b"[1, 2", &[(1, "1"), (1, "2")]);
        each_chunking(b"[{\"a\":1}, {\"a\":", &[(1, "{\"a\":1}"), (1, "!truncated")]);
    }

    #[test]
    fn a_stray_quote_in_a_pretty_array_loses_only_its_element() {
        each_chunking(
            b"[\n  {\"u\": \"a\", \"t\": 1},\n  {\"u\": \"a\"\", \"t\": 2},\n  {\"u\": \"a\", \"t\": 3}\n]\n",
            &[
                (2, "{\"u\": \"a\", \"t\": 1}"),
                (3, "!damaged {\"u\": \"a\"\", \"t\": 2}"),
                (4, "{\"u\": \"a\", \"t\": 3}"),
            ],
        );
        // Pretty-printed over several lines: the damaged element runs to the next element.
        each_chunking(
            b"[\n  {\n    \"u\": \"a\"\",\n    \"t\": 2\n  },\n  {\n    \"t\": 3\n  }\n]",
            &[
                (2, "!damaged {\n    \"u\": \"a\"\",\n    \"t\": 2\n  }"),
                (6, "{\n    \"t\": 3\n  }"),
            ],
        );
    }

    #[test]
    fn a_stray_quote_in_a_one_line_array_resyncs_at_the_next_element() {
        each_chunking(
            b"[{\"u\":\"a\"\", \"t\":1},{\"u\":\"b\",\"t\":2}]",
            &[(1, "!damaged {\"u\":\"a\"\", \"t\":1}"), (1, "{\"u\":\"b\",\"t\":2}")],
        );
    }

    #[test]
    fn a_missing_close_loses_only_its_element() {
        each_chunking(
            b"[\n {\"a\": 1,\n {\"a\": 2},\n {\"a\": 3}\n]",
            &[(2, "!damaged {\"a\": 1"), (3, "{\"a\": 2}"), (4, "{\"a\": 3}")],
        );
        // A line break inside a string.
        each_chunking(
            b"[{\"a\": \"x\n\"},\n{\"a\": 2}]",
            &[(1, "!damaged {\"a\": \"x\n\"}"), (3, "{\"a\": 2}")],
        );
    }

    #[test]
    fn resync_at_a_closing_bracket_or_a_leading_comma_line() {
        // The last element misses its `}`: the `]` starting the next line closes the array.
        each_chunking(
            b"[\n  {\"a\":1},\n  {\"a\":2\n]\n[{\"a\":3}]\n",
            &[(2, "{\"a\":1}"), (3, "!damaged {\"a\":2"), (5, "{\"a\":3}")],
        );
        // Leading-comma style.
        each_chunking(
            b"[\n  {\"a\":\"x\"\"}\n  ,{\"a\":2}\n  ,{\"a\":3}\n]\n",
            &[(2, "!damaged {\"a\":\"x\"\"}"), (3, "{\"a\":2}"), (4, "{\"a\":3}")],
        );
    }

    #[test]
    fn junk_between_array_elements_is_damaged_alone() {
        each_chunking(
            b"[ } {\"a\":1} :: ,{\"a\":2}]",
            &[
                (1, "!damaged }"),
                (1, "{\"a\":1}"),
                (1, "!damaged ::"),
                (1, "{\"a\":2}"),
            ],
        );
    }

    #[test]
    fn junk_at_the_top_level_is_a_record_not_framing() {
        each_chunking(b"]\n{\"a\":1}\n}", &[(1, "]"), (2, "{\"a\":1}"), (3, "}")]);
    }

    #[test]
    fn empty_and_whitespace_files_have_no_records() {
        each_chunking(b"", &[]);
        each_chunking(b"  \n\r\n\t\n", &[]);
        each_chunking(b"[]\n[ ]", &[]);
    }

    #[test]
    fn a_bom_inside_the_file_is_framing() {
        each_chunking(
            b"{\"a\":1}\n\xEF\xBB\xBF{\"a\":2}\n",
            &[(1, "{\"a\":1}"), (2, "{\"a\":2}")],
        );
    }

    #[test]
    fn overlong_line_is_reported_not_buffered() {
        let mut input = b"{\"a\":1}\n{\"big\":\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_RECORD_BYTES + 10));
        input.extend_from_slice(b"\"}\n{\"a\":3}\n");
        let total = (input.len() - 8 - 8 - 1) as u64; // the long line's bytes without its newline
        for chunk in [4096, 1 << 16, input.len()] {
            let got = split(&input, chunk);
            assert_eq!(got.len(), 3, "chunk {chunk}");
            assert_eq!(got[0], (1, "{\"a\":1}".to_string()));
            assert_eq!(got[1], (2, format!("!too_long {total}")));
            assert_eq!(got[2], (3, "{\"a\":3}".to_string()));
        }
    }

    /// The limit applies to the record's text alone: CRLF, blanks and a trailing `},` comma
    /// around a record of exactly the limit never make it too long, whatever the chunking.
    #[test]
    fn the_limit_counts_the_record_text_only() {
        let body = |n: usize| {
            let mut r = b"{\"k\":\"".to_vec();
            r.extend(std::iter::repeat_n(b'x', n - 8));
            r.extend_from_slice(b"\"}");
            r
        };
        let exact = body(MAX_RECORD_BYTES);
        assert_eq!(exact.len(), MAX_RECORD_BYTES);
        for (framing_before, framing_after) in [(&b"   "[..], &b" ,  \r\n"[..]), (b"\t", b",\r\n"), (b"", b"\n")] {
            let mut input = framing_before.to_vec();
            input.extend_from_slice(&exact);
            input.extend_from_slice(framing_after);
            input.extend_from_slice(b"{\"a\":1}\n");
            for chunk in [1000, 4096, MAX_RECORD_BYTES - 1, MAX_RECORD_BYTES + 2, input.len()] {
                let got = split(&input, chunk);
                assert_eq!(got.len(), 2, "chunk {chunk}");
                assert_eq!(got[0].1.len(), MAX_RECORD_BYTES, "kept whole, chunk {chunk}");
            }
        }
        // One byte more is too long, in a line and in an array alike.
        let over = body(MAX_RECORD_BYTES + 1);
        for (a, b) in [(&b""[..], &b"\n"[..]), (b"[", b"]")] {
            let input = [a, &over, b].concat();
            for chunk in [4096, input.len()] {
                assert_eq!(
                    split(&input, chunk),
                    vec![(1, format!("!too_long {}", MAX_RECORD_BYTES + 1))]
                );
            }
        }
    }
}
