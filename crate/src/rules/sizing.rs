//! How large to make a hash index before building it: from an estimate of its distinct keys.
//!
//! The rules build hash indexes over millions of landing rows (the reading index, the exact-
//! duplicate sets). Sized for every row, an index over a landing set full of exact repeats (one
//! export read many times) scatters its few distinct keys over a table many times larger than
//! the cache, and every probe misses; started small, an index over distinct keys pays a rehash at
//! every doubling. So each index is sized from a HyperLogLog estimate of its distinct keys (one
//! pass over the key hashes, 4 KiB of registers; Flajolet et al. 2007, with linear counting for
//! small sets), which costs a few milliseconds per million rows. Measured both ways in
//! docs/performance.md (session 7). The estimate only sizes the table: results never depend on it.

/// Mix a 64-bit value into a well-spread hash (MurmurHash3's 64-bit finalizer): the estimate reads
/// the top and the low bits, which a multiplicative hash like Fx leaves weak.
#[inline]
pub(crate) fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The hash of an `(id, epoch)` key (a user or serial id and milliseconds): for [`capacity`], and
/// the hash the rules' tables of row numbers place a key by.
#[inline]
pub(crate) fn key_hash(id: u32, t: i64) -> u64 {
    mix(mix(t as u64) ^ id as u64)
}

/// Register index bits: 2^12 registers, a standard error of 1.04 / sqrt(4096) ≈ 1.6%.
const P: u32 = 12;
const M: usize = 1 << P;

/// The capacity to give an index of `rows` rows whose keys hash (through [`mix`]) to `hashes`:
/// the estimated distinct keys plus 1/8 for the estimate's error, never more than `rows`.
pub(crate) fn capacity(rows: usize, hashes: impl Iterator<Item = u64>) -> usize {
    if rows <= M {
        return rows; // small: sizing for every row costs nothing
    }
    let estimate = distinct_estimate(hashes);
    ((estimate * 1.125) as usize + 16).min(rows)
}

/// HyperLogLog estimate of the number of distinct values among `hashes` (well-mixed 64-bit).
pub(crate) fn distinct_estimate(hashes: impl Iterator<Item = u64>) -> f64 {
    let mut reg = [0u8; M];
    for h in hashes {
        let j = (h >> (64 - P)) as usize;
        // Rank of the first 1 bit in the remaining 52 bits (a sentinel bit bounds it at 53).
        let rank = ((h << P) | (1 << (P - 1))).leading_zeros() as u8 + 1;
        if rank > reg[j] {
            reg[j] = rank;
        }
    }
    let m = M as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = reg.iter().map(|&r| (-(r as f64)).exp2()).sum();
    let raw = alpha * m * m / sum;
    let zeros = reg.iter().filter(|&&r| r == 0).count();
    if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln() // linear counting: exact enough while registers are empty
    } else {
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(estimate: f64, truth: usize, tolerance: f64) -> bool {
        (estimate - truth as f64).abs() <= tolerance * truth as f64
    }

    #[test]
    fn estimates_distinct_counts_from_a_few_to_millions() {
        for truth in [1usize, 10, 1_000, 20_000, 300_000, 3_000_000] {
            let e = distinct_estimate((0..truth as u64).map(mix));
            assert!(within(e, truth, 0.05), "{truth} distinct estimated as {e}");
        }
    }

    #[test]
    fn repeats_do_not_count() {
        // 2,000 distinct keys read 500 times each, as a landing folder read 500 times.
        let e = distinct_estimate((0..1_000_000u64).map(|i| mix(i % 2_000)));
        assert!(within(e, 2_000, 0.05), "estimated {e}");
    }

    #[test]
    fn capacity_covers_the_distinct_keys_and_never_exceeds_the_rows() {
        let rows = 1_000_000;
        let c = capacity(rows, (0..rows as u64).map(|i| mix(i % 50_000)));
        assert!((50_000..=60_000).contains(&c), "capacity {c}");
        assert_eq!(capacity(rows, (0..rows as u64).map(mix)), rows);
        assert_eq!(capacity(100, std::iter::empty()), 100);
    }
}
