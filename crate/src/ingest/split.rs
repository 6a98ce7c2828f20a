//! Chunk-fed record splitter: turns a landing file's bytes, fed in chunks of any size, into one
//! byte slice per JSON record with its 1-based line number. A file never has to be in memory whole.
//!
//! Two framings, chosen by the file's first non-blank byte:
//! - **lines** (NDJSON and the older export style): one record per line; a UTF-8 BOM, `\r\n`,
//!   surrounding blanks, blank lines and a trailing `,` after the closing `}` are accepted.
//! - **array** (`[` first): the file is one JSON array, on one line or pretty-printed; each element
//!   is a record, numbered by the line it starts on.
//!
//! A record longer than [`MAX_RECORD_BYTES`] is not buffered: it is reported as [`Piece::TooLong`]
//! and skipped, so memory stays bounded whatever the input.

/// The longest record kept (a STEDI record is a few hundred bytes).
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// How much of a bad record's text is kept for the quarantine report.
pub const RAW_SNIPPET_BYTES: usize = 200;

/// What the splitter hands on.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// One record's bytes (trimmed, without a trailing comma).
    Record { line: u64, bytes: &'a [u8] },
    /// A record over the size limit; `head` is its beginning.
    TooLong { line: u64, bytes: u64, head: &'a [u8] },
    /// The file ended inside an array element or before the array's `]`.
    Truncated { line: u64, head: &'a [u8] },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Unknown,
    Lines,
    Array,
}

/// Byte-level state of the array framing.
#[derive(Debug, Default, Clone, Copy)]
struct ArrayState {
    /// Nesting depth; 1 = directly inside the outer array.
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// An element is being collected (started at `element_line`).
    in_element: bool,
    element_line: u64,
    closed: bool,
}

pub struct Splitter {
    framing: Framing,
    /// Bytes of the current, unfinished record.
    buf: Vec<u8>,
    /// The current record passed the size limit; its bytes are counted, not kept.
    overflow: u64,
    /// 1-based number of the line being read.
    line: u64,
    /// Line on which the buffered record started.
    start_line: u64,
    at_file_start: bool,
    /// The file's first bytes, held until a BOM can be told apart.
    head: Vec<u8>,
    array: ArrayState,
}

impl Default for Splitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Splitter {
    pub fn new() -> Self {
        Splitter {
            framing: Framing::Unknown,
            buf: Vec::new(),
            overflow: 0,
            line: 1,
            start_line: 1,
            at_file_start: true,
            head: Vec::new(),
            array: ArrayState::default(),
        }
    }

    /// Feed the next chunk; `out` receives every record completed by it.
    pub fn feed(&mut self, chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        if self.at_file_start {
            // Hold the first bytes until a possible UTF-8 BOM (3 bytes) can be recognised.
            self.head.extend_from_slice(chunk);
            if self.head.len() >= 3 {
                self.feed_head(out);
            }
            return;
        }
        self.feed_body(chunk, out);
    }

    fn feed_head(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        self.at_file_start = false;
        let head = std::mem::take(&mut self.head);
        self.feed_body(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head), out);
    }

    fn feed_body(&mut self, mut chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        if self.framing == Framing::Unknown {
            match chunk.iter().position(|b| !b.is_ascii_whitespace()) {
                None => {
                    self.line += count_newlines(chunk);
                    return;
                }
                Some(i) => {
                    self.line += count_newlines(&chunk[..i]);
                    self.start_line = self.line;
                    chunk = &chunk[i..];
                    if chunk[0] == b'[' {
                        self.framing = Framing::Array;
                        chunk = &chunk[1..];
                        self.array.depth = 1;
                    } else {
                        self.framing = Framing::Lines;
                    }
                }
            }
        }
        match self.framing {
            Framing::Lines => self.feed_lines(chunk, out),
            Framing::Array => self.feed_array(chunk, out),
            Framing::Unknown => unreachable!("framing decided above"),
        }
    }

    /// Signal the end of the file; flushes a last line without a newline.
    pub fn finish(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if self.at_file_start {
            self.feed_head(out);
        }
        match self.framing {
            Framing::Lines => self.emit_line(out),
            Framing::Array => {
                // An element still open at the end is a lost record. (A missing final `]` alone
                // loses nothing and is accepted.)
                if self.array.in_element {
                    let line = self.array.element_line;
                    out(Piece::Truncated {
                        line,
                        head: snippet(trim(&self.buf)),
                    });
                }
            }
            Framing::Unknown => {}
        }
        self.buf.clear();
    }

    /// Append to the current record; past the size limit keep only a snippet and count the rest.
    fn push(&mut self, bytes: &[u8]) {
        if self.overflow == 0 && self.buf.len() + bytes.len() <= MAX_RECORD_BYTES {
            self.buf.extend_from_slice(bytes);
        } else if self.overflow == 0 {
            let total = (self.buf.len() + bytes.len()) as u64;
            self.buf.truncate(RAW_SNIPPET_BYTES);
            let keep = (RAW_SNIPPET_BYTES - self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..keep]);
            self.overflow = total - self.buf.len() as u64;
        } else {
            self.overflow += bytes.len() as u64;
        }
    }

    fn feed_lines(&mut self, chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        let mut rest = chunk;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            let (line_bytes, after) = (&rest[..nl], &rest[nl + 1..]);
            if self.buf.is_empty() && self.overflow == 0 {
                // Fast path: the whole line is inside this chunk.
                self.start_line = self.line;
                emit_line_bytes(self.line, line_bytes, out);
            } else {
                self.push(line_bytes);
                self.emit_line(out);
            }
            self.line += 1;
            self.start_line = self.line;
            rest = after;
        }
        if !rest.is_empty() {
            self.push(rest);
        }
    }

    fn emit_line(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if self.overflow > 0 {
            let bytes = self.buf.len() as u64 + self.overflow;
            out(Piece::TooLong {
                line: self.start_line,
                bytes,
                head: snippet(&self.buf),
            });
        } else if !self.buf.is_empty() {
            emit_line_bytes(self.start_line, &self.buf, out);
        }
        self.buf.clear();
        self.overflow = 0;
    }

    fn feed_array(&mut self, chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        let mut seg_start = 0usize; // start of the part of `chunk` belonging to the current element
        for (i, &b) in chunk.iter().enumerate() {
            let st = &mut self.array;
            if b == b'\n' {
                self.line += 1;
            }
            if st.closed {
                continue;
            }
            if st.in_string {
                if st.escaped {
                    st.escaped = false;
                } else if b == b'\\' {
                    st.escaped = true;
                } else if b == b'"' {
                    st.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => {
                    if !st.in_element {
                        st.in_element = true;
                        st.element_line = self.line;
                        seg_start = i;
                    }
                    st.in_string = true;
                }
                b'{' | b'[' => {
                    if !st.in_element {
                        st.in_element = true;
                        st.element_line = self.line;
                        seg_start = i;
                    }
                    st.depth += 1;
                }
                b'}' | b']' if st.depth > 1 => {
                    st.depth -= 1;
                    if st.depth == 1 {
                        // A container element just closed: hand it on.
                        let line = st.element_line;
                        st.in_element = false;
                        self.push(&chunk[seg_start..=i]);
                        self.flush_element(line, out);
                    }
                }
                b',' | b']' if st.depth == 1 => {
                    // depth == 1: the end of a scalar element (if any) or of the array.
                    if st.in_element {
                        let line = st.element_line;
                        st.in_element = false;
                        self.push(&chunk[seg_start..i]);
                        self.flush_element(line, out);
                    }
                    if b == b']' {
                        self.array.closed = true;
                    }
                }
                _ if b.is_ascii_whitespace() => {}
                _ => {
                    if !st.in_element {
                        st.in_element = true;
                        st.element_line = self.line;
                        seg_start = i;
                    }
                }
            }
        }
        if self.array.in_element {
            self.push(&chunk[seg_start..]);
        }
    }

    fn flush_element(&mut self, line: u64, out: &mut dyn FnMut(Piece<'_>)) {
        if self.overflow > 0 {
            let bytes = self.buf.len() as u64 + self.overflow;
            out(Piece::TooLong {
                line,
                bytes,
                head: snippet(&self.buf),
            });
        } else {
            let rec = trim(&self.buf);
            if !rec.is_empty() {
                out(Piece::Record { line, bytes: rec });
            }
        }
        self.buf.clear();
        self.overflow = 0;
    }
}

fn emit_line_bytes(line: u64, bytes: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
    let mut rec = trim(bytes);
    // The older export style ends every line but the last with `},`.
    if let Some(r) = rec.strip_suffix(b",") {
        rec = trim(r);
    }
    if rec.is_empty() {
        return;
    }
    if rec.len() > MAX_RECORD_BYTES {
        out(Piece::TooLong {
            line,
            bytes: rec.len() as u64,
            head: snippet(rec),
        });
    } else {
        out(Piece::Record { line, bytes: rec });
    }
}

pub fn snippet(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(RAW_SNIPPET_BYTES)]
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `input` fed in chunks of `chunk` bytes; returns (line, text) per piece, with
    /// `!too_long` / `!truncated` markers for the other pieces.
    fn split(input: &[u8], chunk: usize) -> Vec<(u64, String)> {
        let mut s = Splitter::new();
        let mut got = Vec::new();
        let mut out = |p: Piece<'_>| match p {
            Piece::Record { line, bytes } => got.push((line, String::from_utf8_lossy(bytes).into_owned())),
            Piece::TooLong { line, bytes, .. } => got.push((line, format!("!too_long {bytes}"))),
            Piece::Truncated { line, .. } => got.push((line, "!truncated".into())),
        };
        for c in input.chunks(chunk) {
            s.feed(c, &mut out);
        }
        s.finish(&mut out);
        got
    }

    fn each_chunking(input: &[u8], expect: &[(u64, &str)]) {
        for chunk in [1, 2, 3, 4, 7, 64, input.len().max(3)] {
            let got = split(input, chunk);
            let want: Vec<(u64, String)> = expect.iter().map(|(l, s)| (*l, s.to_string())).collect();
            assert_eq!(got, want, "chunk size {chunk}");
        }
    }

    #[test]
    fn ndjson_with_bom_crlf_blank_lines_and_no_final_newline() {
        each_chunking(
            b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  {\"a\":2}  \n\n{\"a\":3}",
            &[(1, "{\"a\":1}"), (3, "{\"a\":2}"), (5, "{\"a\":3}")],
        );
    }

    #[test]
    fn older_export_style_trailing_commas() {
        each_chunking(
            b"{\"a\":1},\n{\"a\":2},\n{\"a\":3}\n",
            &[(1, "{\"a\":1}"), (2, "{\"a\":2}"), (3, "{\"a\":3}")],
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
    fn array_scalars_and_truncation() {
        each_chunking(b"[1, \"x\", {\"a\":1}", &[(1, "1"), (1, "\"x\""), (1, "{\"a\":1}")]);
        each_chunking(b"[{\"a\":1}, {\"a\":", &[(1, "{\"a\":1}"), (1, "!truncated")]);
    }

    #[test]
    fn empty_and_whitespace_files_have_no_records() {
        each_chunking(b"", &[]);
        each_chunking(b"  \n\r\n\t\n", &[]);
    }

    #[test]
    fn overlong_line_is_reported_not_buffered() {
        let mut input = b"{\"a\":1}\n{\"big\":\"".to_vec();
        input.extend(std::iter::repeat(b'x').take(MAX_RECORD_BYTES + 10));
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
}
