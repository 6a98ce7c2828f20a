//! Sinks: a [`TableView`](crate::tables::TableView) written to any `Write` as Snappy Parquet or
//! NDJSON, in batches, so a table is never encoded in memory whole.

pub mod landing_chunks;
pub mod ndjson;
pub mod parquet;

/// Rows gathered per batch (Arrow record batch / NDJSON buffer flush).
pub const BATCH_ROWS: usize = 64 * 1024;

/// Bytes written in pieces of at most [`PIECE`] bytes, each allocated once at its full size: an
/// output held in memory without a buffer that doubles (and copies itself) as it grows.
#[derive(Default)]
pub struct Pieces {
    done: Vec<Vec<u8>>,
    open: Vec<u8>,
}

impl Pieces {
    /// The full pieces written so far, in order; the one being filled stays.
    pub fn take_full(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.done)
    }

    /// The pieces written so far, in order (none empty); the next write starts a new piece.
    pub fn take(&mut self) -> Vec<Vec<u8>> {
        let mut all = std::mem::take(&mut self.done);
        if !self.open.is_empty() {
            all.push(std::mem::take(&mut self.open));
        }
        all
    }
}

/// The size of one [`Pieces`] piece: 1 MiB.
pub const PIECE: usize = 1 << 20;

impl std::io::Write for Pieces {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len();
        while !buf.is_empty() {
            if self.open.len() == PIECE {
                self.done
                    .push(std::mem::replace(&mut self.open, Vec::with_capacity(PIECE)));
            } else if self.open.capacity() < PIECE {
                self.open.reserve_exact(PIECE - self.open.len());
            }
            let take = (PIECE - self.open.len()).min(buf.len());
            self.open.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pieces_keep_every_byte_in_order_in_bounded_pieces() {
        let mut p = Pieces::default();
        let mut want = Vec::new();
        for (i, n) in [0, 1, PIECE - 2, 5, 3 * PIECE + 7, 0, 11].into_iter().enumerate() {
            let bytes: Vec<u8> = (0..n).map(|k| (k * 31 + i) as u8).collect();
            p.write_all(&bytes).unwrap();
            want.extend(bytes);
        }
        let got = p.take();
        assert!(got.iter().all(|piece| !piece.is_empty() && piece.len() <= PIECE));
        assert_eq!(got.concat(), want);
        assert!(p.take().is_empty(), "taken pieces are gone");
        p.write_all(b"next").unwrap();
        assert_eq!(p.take(), vec![b"next".to_vec()]);
    }
}
