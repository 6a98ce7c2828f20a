"""The real landing data scaled by k with exact xk counts: k distinct copies, written to a folder
outside the project (the data's licence forbids modified copies in it; see ../shared/stedi/SOURCE.md).

Copy 0 is the real files byte for byte. Copy i (1..k-1) is the same files with
- every email (`email`, `user`) and serial number (`serialNumber`) prefixed with `k<i>-`, so the
  copies share no customer, user or device;
- every epoch (`timestamp`, `sensorReadingTime`, the customer's five dates) moved i hours later
  (the real readings span 43 minutes), so the copies share no instant either: the rubric's join on
  time alone stays within a copy, and a consent date keeps its place among its readings.
Nothing else changes (floats, names, phones keep their bytes). Every rule works within a customer,
a device or an instant, so each of the eight tables has exactly k times the real data's rows, in
both modes: what a landing set k times larger looks like, unlike k repeats of the same files
(which strict's exact-duplicate rule folds back to one).

Files are `<source>/k<i>-<real name>`. A folder whose `<folder>.complete` beside it records the
same scale and real files' total size is reused as it is.

Usage: python3 bench/scale.py K OUT_DIR      (prints the folder, its bytes and the seconds taken)
"""
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "stedi" / "landing"
SOURCES = ("customer", "accelerometer", "step_trainer")
HOUR_MS = 3_600_000
KEYS = re.compile(rb'("(?:email|user|serialNumber)": ?")')
EPOCHS = re.compile(
    rb'("(?:timestamp|sensorReadingTime|registrationDate|lastUpdateDate|'
    rb'shareWithResearchAsOfDate|shareWithPublicAsOfDate|shareWithFriendsAsOfDate)": ?)(-?\d+)'
)


def copy_bytes(data: bytes, i: int) -> bytes:
    """Copy `i` of one real file's bytes (copy 0: the bytes as they are)."""
    if i == 0:
        return data
    tag = b"k%d-" % i
    off = i * HOUR_MS
    data = KEYS.sub(lambda m: m.group(1) + tag, data)
    return EPOCHS.sub(lambda m: m.group(1) + str(int(m.group(2)) + off).encode(), data)


def real_files():
    """The real landing files by source, sorted; raises SystemExit when they are absent."""
    if not REAL.is_dir():
        raise SystemExit(f"{REAL} is not present (see the README: the real data is read by path)")
    return {s: sorted((REAL / s).glob("*.json")) for s in SOURCES}


def generate(k: int, out: Path) -> int:
    """Write the k copies into `out` (reused when complete); the landing bytes written."""
    files = real_files()
    stamp = {"scale": k, "real_bytes": sum(p.stat().st_size for ps in files.values() for p in ps)}
    done = out.with_name(out.name + ".complete")
    if done.exists() and json.loads(done.read_text()) == stamp:
        return sum(p.stat().st_size for p in out.rglob("*.json"))
    done.unlink(missing_ok=True)
    for source in SOURCES:  # another scale's copies: k<i> past this k would stay
        for old in (out / source).glob("k*-*.json"):
            old.unlink()
    total = 0
    for source, paths in files.items():
        (out / source).mkdir(parents=True, exist_ok=True)
        for p in paths:
            data = p.read_bytes()
            for i in range(k):
                b = copy_bytes(data, i)
                (out / source / f"k{i}-{p.name}").write_bytes(b)
                total += len(b)
    done.write_text(json.dumps(stamp))
    return total


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    k, out = int(sys.argv[1]), Path(sys.argv[2])
    t = time.perf_counter()
    n = generate(k, out)
    print(f"{out}: x{k}, {n / 1e9:.2f} GB in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
