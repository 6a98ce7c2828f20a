//! What a landing file's bytes are, judged from its first bytes, and the text decoding that makes
//! every accepted file UTF-8 for the splitter.
//!
//! [`sniff`] looks at the first [`SNIFF_BYTES`] (or the whole file when shorter, so the verdict
//! never depends on how the file is chunked): a byte-order mark selects the encoding (UTF-8, or
//! UTF-16 LE/BE, decoded as it streams); known binary signatures (gzip, zip,
//! Parquet, images, PDF, other compressors) and NUL bytes (UTF-16/32 without a BOM, any other
//! binary) reject the file whole, with one message saying what it looks like.

/// How many first bytes the verdict looks at.
pub const SNIFF_BYTES: usize = 1024;

/// The verdict on a file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text; `bom` bytes of byte-order mark to skip (0 or 3).
    Utf8 {
        /// Length in bytes of the byte-order mark at the start: 0 or 3.
        bom: usize,
    },
    /// UTF-16 text with a byte-order mark (2 bytes, skipped), decoded to UTF-8.
    Utf16 {
        /// True for UTF-16 BE (mark `FE FF`), false for LE (mark `FF FE`).
        big_endian: bool,
    },
    /// Not text we read: what it looks like, for the file-level message.
    Binary(&'static str),
}

impl Kind {
    /// The encoding reported for the file.
    pub fn encoding(self) -> Encoding {
        match self {
            Kind::Utf8 { .. } => Encoding::Utf8,
            Kind::Utf16 { big_endian: false } => Encoding::Utf16Le,
            Kind::Utf16 { big_endian: true } => Encoding::Utf16Be,
            Kind::Binary(_) => Encoding::Binary,
        }
    }
}

/// The text encoding a file was read in, as reported per file (`FileReport.encoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[serde(rename = "utf-8")]
    Utf8,
    /// UTF-16 little-endian with a byte-order mark, decoded to UTF-8.
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big-endian with a byte-order mark, decoded to UTF-8.
    #[serde(rename = "utf-16be")]
    Utf16Be,
    /// Not text: the file was rejected whole.
    #[serde(rename = "binary")]
    Binary,
}

impl Encoding {
    /// Every encoding reported.
    pub const ALL: [Encoding; 4] = [Encoding::Utf8, Encoding::Utf16Le, Encoding::Utf16Be, Encoding::Binary];

    /// The name written in reports: `utf-8`, `utf-16le`, `utf-16be` or `binary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Binary => "binary",
        }
    }
}

/// Signatures of binary formats someone may drop into a landing folder.
const SIGNATURES: &[(&[u8], &str)] = &[
    (&[0x1f, 0x8b], "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"),
    (b"PAR1", "a Parquet file"),
    (b"ORC", "an ORC file"),
    (b"Obj\x01", "an Avro file"),
    (b"\x89PNG", "a PNG image"),
    (&[0xff, 0xd8, 0xff], "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"BZh", "bzip2-compressed data"),
    (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz-compressed data"),
    (&[0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed data"),
    (&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c], "a 7-zip archive"),
    (b"SQLite format 3", "an SQLite database"),
];

/// Judge a file from `head`: its first [`SNIFF_BYTES`] bytes, or all of it when shorter.
pub fn sniff(head: &[u8]) -> Kind {
    // UTF-32 BOMs first: FF FE 00 00 also starts like UTF-16 LE's BOM.
    if head.starts_with(&[0xff, 0xfe, 0, 0]) || head.starts_with(&[0, 0, 0xfe, 0xff]) {
        return Kind::Binary("UTF-32 text (save it as UTF-8)");
    }
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Kind::Utf8 { bom: 3 };
    }
    if head.starts_with(&[0xff, 0xfe]) {
        return Kind::Utf16 { big_endian: false };
    }
    if head.starts_with(&[0xfe, 0xff]) {
        return Kind::Utf16 { big_endian: true };
    }
    if let Some((_, what)) = SIGNATURES.iter().find(|(sig, _)| head.starts_with(sig)) {
        return Kind::Binary(what);
    }
    if memchr::memchr(0, head).is_some() {
        return Kind::Binary(nul_kind(head));
    }
    Kind::Utf8 { bom: 0 }
}

/// What a head with NUL bytes looks like: UTF-16/32 text without a BOM, or other binary data.
fn nul_kind(head: &[u8]) -> &'static str {
    let pairs = head.len() / 2;
    let zero_at = |parity: usize| (0..pairs).filter(|k| head[2 * k + parity] == 0).count();
    let (even, odd) = (zero_at(0), zero_at(1));
    let quads = head.len() / 4;
    let zero_quad_hi = (0..quads).filter(|k| head[4 * k + 1..4 * k + 4] == [0, 0, 0]).count();
    if quads > 0 && zero_quad_hi * 10 >= quads * 9 {
        "UTF-32 text without a byte-order mark (save it as UTF-8)"
    } else if pairs > 0 && odd * 10 >= pairs * 9 && even * 10 < pairs {
        "UTF-16 LE text without a byte-order mark (save it as UTF-8, or as UTF-16 with a BOM)"
    } else if pairs > 0 && even * 10 >= pairs * 9 && odd * 10 < pairs {
        "UTF-16 BE text without a byte-order mark (save it as UTF-8, or as UTF-16 with a BOM)"
    } else {
        "binary data (NUL bytes)"
    }
}

/// Streamed UTF-16 → UTF-8 (the standard library's surrogate rules, carried across chunk
/// boundaries: a unit split between chunks, a surrogate pair split between chunks). Ill-formed
/// UTF-16 (an unpaired surrogate, an odd final byte) becomes a byte that is never valid UTF-8
/// (0xFF), so the record holding it is quarantined as malformed rather than altered.
pub struct Utf16Decoder {
    big_endian: bool,
    /// The first byte of a unit whose second byte is in the next chunk.
    odd: Option<u8>,
    /// A high surrogate waiting for its low half.
    high: Option<u16>,
    out: Vec<u8>,
}

impl Utf16Decoder {
    /// A decoder for text after its 2-byte BOM.
    pub fn new(big_endian: bool) -> Self {
        Utf16Decoder {
            big_endian,
            odd: None,
            high: None,
            out: Vec::new(),
        }
    }

    /// Decode `src` (`last`: the file ends after it) and return the UTF-8 produced.
    pub fn decode(&mut self, mut src: &[u8], last: bool) -> &[u8] {
        self.out.clear();
        self.out.reserve(src.len() * 3 / 2 + 4);
        if let (Some(first), Some((&second, rest))) = (self.odd, src.split_first()) {
            self.odd = None;
            self.unit([first, second]);
            src = rest;
        }
        let mut pairs = src.chunks_exact(2);
        for p in &mut pairs {
            self.unit([p[0], p[1]]);
        }
        if let [b] = pairs.remainder() {
            self.odd = Some(*b);
        }
        if last {
            if self.high.take().is_some() {
                self.out.push(0xff);
            }
            if self.odd.take().is_some() {
                self.out.push(0xff);
            }
        }
        &self.out
    }

    fn unit(&mut self, bytes: [u8; 2]) {
        let u = if self.big_endian {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        };
        if let Some(high) = self.high.take() {
            if (0xDC00..=0xDFFF).contains(&u) {
                let c = 0x10000 + (((high as u32) - 0xD800) << 10) + (u as u32 - 0xDC00);
                self.push(char::from_u32(c).expect("a surrogate pair is a scalar value"));
                return;
            }
            self.out.push(0xff);
        }
        match u {
            0xD800..=0xDBFF => self.high = Some(u),
            0xDC00..=0xDFFF => self.out.push(0xff),
            _ => self.push(char::from_u32(u as u32).expect("not a surrogate")),
        }
    }

    fn push(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str, be: bool) -> Vec<u8> {
        let mut v = if be { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
        for u in s.encode_utf16() {
            v.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        v
    }

    #[test]
    fn boms_choose_the_encoding() {
        assert_eq!(sniff(b"\xEF\xBB\xBF{}"), Kind::Utf8 { bom: 3 });
        assert_eq!(sniff(b"{}"), Kind::Utf8 { bom: 0 });
        assert_eq!(sniff(b""), Kind::Utf8 { bom: 0 });
        assert_eq!(sniff(&utf16("{}", false)), Kind::Utf16 { big_endian: false });
        assert_eq!(sniff(&utf16("{}", true)), Kind::Utf16 { big_endian: true });
        assert!(matches!(sniff(&[0xff, 0xfe, 0, 0, b'{', 0, 0, 0]), Kind::Binary(m) if m.starts_with("UTF-32")));
    }

    #[test]
    fn binary_files_are_named() {
        assert_eq!(sniff(b"PAR1\x15\x04"), Kind::Binary("a Parquet file"));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Kind::Binary("gzip-compressed data"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), Kind::Binary("a PNG image"));
        let le: Vec<u8> = "{\"user\":\"a\"}\n".bytes().flat_map(|b| [b, 0]).collect();
        assert!(matches!(sniff(&le), Kind::Binary(m) if m.starts_with("UTF-16 LE")));
        let be: Vec<u8> = "{\"user\":\"a\"}\n".bytes().flat_map(|b| [0, b]).collect();
        assert!(matches!(sniff(&be), Kind::Binary(m) if m.starts_with("UTF-16 BE")));
        let u32: Vec<u8> = "{\"a\":1}\n".bytes().flat_map(|b| [b, 0, 0, 0]).collect();
        assert!(matches!(sniff(&u32), Kind::Binary(m) if m.starts_with("UTF-32")));
        assert_eq!(sniff(b"{\"a\":1}\n\0\0\x01"), Kind::Binary("binary data (NUL bytes)"));
    }

    #[test]
    fn utf16_decodes_across_any_chunking_and_marks_bad_surrogates() {
        for be in [false, true] {
            let text = "{\"customerName\":\"Zoë 😀\"}\r\n";
            let bytes = utf16(text, be);
            for size in 1..=bytes.len() {
                let mut d = Utf16Decoder::new(be);
                let mut got = Vec::new();
                let body = &bytes[2..];
                let n = body.chunks(size).count();
                for (k, c) in body.chunks(size).enumerate() {
                    got.extend_from_slice(d.decode(c, k + 1 == n));
                }
                if n == 0 {
                    got.extend_from_slice(d.decode(&[], true));
                }
                assert_eq!(got, text.as_bytes(), "chunk {size}");
            }
        }
        // An unpaired high surrogate: never silently replaced.
        let mut d = Utf16Decoder::new(false);
        let got = d.decode(&[b'a', 0, 0x00, 0xd8, b'b', 0], true).to_vec();
        assert_eq!(got, b"a\xffb");
        // A lone low surrogate, a high one at the end, an odd final byte.
        let mut d = Utf16Decoder::new(false);
        assert_eq!(d.decode(&[0x00, 0xdc, b'c', 0, 0x3d, 0xd8], false), b"\xffc");
        assert_eq!(d.decode(b"d", true), b"\xff\xff");
    }
}
