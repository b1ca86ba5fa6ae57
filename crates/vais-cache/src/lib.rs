//! The on-disk cache of compiled code: opaque byte strings stored under 128-bit keys, in a
//! directory that several `vaisc` processes may share at once.
//!
//! This crate owns the storage discipline only: where the cache lives, the entry format, atomic
//! writes, integrity checks, and least-recently-used eviction under a size cap. It must not know
//! what is stored (artifacts are serialised by `vais-jit`) or how keys are computed (content
//! hashes, layouts, settings and the compiler version are folded into the key by the caller).
//!
//! Invariants:
//! - An entry is published by writing a temporary file in the same directory and renaming it
//!   into place, so a reader sees either no entry or a complete one, never a torn write, even
//!   with concurrent writers of the same key (the last rename wins; both are valid).
//! - Every entry carries a magic number, its own key, its payload length and a checksum. An
//!   entry that fails any check (corrupt, truncated, foreign, or stored under the wrong name) is
//!   a miss: it is removed, never trusted, never a panic, and the caller writes it anew.
//! - A hit refreshes the entry's modification time; eviction removes the oldest entries first
//!   until the total is under the cap.
//! - Every write adds its size to a ledger (`<dir>/size`, the approximate total), and
//!   [`DiskCache::trim`] scans the directory only when the ledger is over the cap (or missing),
//!   then evicts down to nine tenths of it and writes the exact total back. So a write costs a
//!   few file operations, not a walk of every entry (a full 256 MiB cache holds tens of
//!   thousands). The ledger is a hint: concurrent writers may lose an update (the total then
//!   runs a little over the cap until a later scan), and a replaced entry is counted twice
//!   (which only brings the next scan forward).
//! - The directory is versioned (`<root>/<namespace>`), so another compiler version or entry
//!   format never reads these entries.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// A cache key: a 128-bit digest of everything the stored value depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub u128);

impl Key {
    fn hex(self) -> String {
        format!("{:032x}", self.0)
    }
}

/// The entry format's version, part of every entry header (and of the directory name the caller
/// chooses through [`Config::namespace`]).
const MAGIC: [u8; 8] = *b"VAISC\x00E2";
const HEADER: usize = 8 + 16 + 8 + 8;

/// Default size cap: 256 MiB.
pub const DEFAULT_CAP: u64 = 256 << 20;

/// The ledger of the entries' approximate total size (see the module's invariants).
const LEDGER: &str = "size";

/// Where the cache lives and how large it may grow.
#[derive(Clone, Debug)]
pub struct Config {
    /// The cache root (`$VAIS_CACHE_DIR`, else `$XDG_CACHE_HOME/vais`, else `~/.cache/vais`).
    pub root: PathBuf,
    /// Sub-directory for this compiler version and entry format (e.g. `vaisc-0.1.0-f1`).
    pub namespace: String,
    /// Total size of the entries above which [`DiskCache::evict`] and [`DiskCache::trim`]
    /// remove the oldest.
    pub cap: u64,
}

/// Why the cache is not used, when it is not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disabled {
    /// `VAIS_CACHE=off` (or `0`, `no`, `false`).
    ByEnvironment,
    /// No cache directory could be determined (no `HOME`, no `XDG_CACHE_HOME`).
    NoDirectory,
}

impl Config {
    /// The configuration the environment asks for: `VAIS_CACHE` (`off`/`0`/`no`/`false`
    /// disables), `VAIS_CACHE_DIR` (root), `VAIS_CACHE_MAX` (cap: bytes, or with a `K`, `M` or
    /// `G` suffix). An unreadable cap falls back to the default.
    pub fn from_env(namespace: &str) -> Result<Config, Disabled> {
        Config::from_vars(namespace, |k| std::env::var(k).ok())
    }

    /// [`Config::from_env`] over any variable lookup (tests pass a map).
    pub fn from_vars(namespace: &str, var: impl Fn(&str) -> Option<String>) -> Result<Config, Disabled> {
        if let Some(v) = var("VAIS_CACHE") {
            if matches!(v.trim().to_ascii_lowercase().as_str(), "off" | "0" | "no" | "false") {
                return Err(Disabled::ByEnvironment);
            }
        }
        let nonempty = |k: &str| var(k).filter(|v| !v.is_empty());
        let root = if let Some(d) = nonempty("VAIS_CACHE_DIR") {
            PathBuf::from(d)
        } else if let Some(x) = nonempty("XDG_CACHE_HOME") {
            Path::new(&x).join("vais")
        } else if let Some(h) = nonempty("HOME") {
            Path::new(&h).join(".cache").join("vais")
        } else {
            return Err(Disabled::NoDirectory);
        };
        let cap = var("VAIS_CACHE_MAX").and_then(|v| parse_size(&v)).unwrap_or(DEFAULT_CAP);
        Ok(Config { root, namespace: namespace.to_string(), cap })
    }
}

/// `1234`, `64K`, `256M`, `2G` (binary multiples, case-insensitive, optional `B`/`iB`).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.strip_suffix("IB").or_else(|| t.strip_suffix('B')).unwrap_or(&t);
    let (digits, shift) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 10),
        'M' => (&t[..t.len() - 1], 20),
        'G' => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let n: u64 = digits.trim().parse().ok()?;
    n.checked_mul(1u64 << shift)
}

/// What happened during this process's use of the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    /// Entries that existed but failed a check and were removed.
    pub rejected: u64,
    pub written: u64,
}

/// Result of [`DiskCache::evict`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evicted {
    pub removed: u64,
    pub kept_bytes: u64,
}

/// An open cache directory.
#[derive(Debug)]
pub struct DiskCache {
    dir: PathBuf,
    cap: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    rejected: AtomicU64,
    written: AtomicU64,
}

static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

impl DiskCache {
    /// Opens (creating if needed) `<root>/<namespace>`.
    pub fn open(config: &Config) -> io::Result<DiskCache> {
        let dir = config.root.join(&config.namespace);
        fs::create_dir_all(dir.join("tmp"))?;
        Ok(DiskCache {
            dir,
            cap: config.cap,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            written: AtomicU64::new(0),
        })
    }

    /// The versioned directory entries live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
        }
    }

    fn path(&self, key: Key) -> PathBuf {
        let hex = key.hex();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// The payload stored under `key`, if there is a valid entry.
    pub fn get(&self, key: Key) -> Option<Vec<u8>> {
        let path = self.path(key);
        let bytes = match read_file(&path) {
            Ok(b) => b,
            Err(_) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        match decode(key, &bytes) {
            Some(payload) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                // Refresh for LRU; failing to do so only makes the entry look older.
                if let Ok(f) = OpenOptions::new().write(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Some(payload.to_vec())
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                self.rejected.fetch_add(1, Ordering::Relaxed);
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores `payload` under `key`, atomically replacing any entry there.
    pub fn put(&self, key: Key, payload: &[u8]) -> io::Result<()> {
        let path = self.path(key);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let tmp = self.dir.join("tmp").join(format!(
            "{}.{}.{}.{}",
            key.hex(),
            std::process::id(),
            nanos,
            TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(&encode(key, payload))?;
            drop(f);
            fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        } else {
            self.written.fetch_add(1, Ordering::Relaxed);
            if let Some(total) = self.ledger() {
                self.set_ledger(total.saturating_add((HEADER + payload.len()) as u64));
            }
        }
        result
    }

    /// The ledger's total, if it is there and readable.
    fn ledger(&self) -> Option<u64> {
        fs::read_to_string(self.dir.join(LEDGER)).ok()?.trim().parse().ok()
    }

    /// Replaces the ledger (atomically: a reader sees the old total or the new one).
    fn set_ledger(&self, total: u64) {
        let tmp = self.dir.join("tmp").join(format!("{LEDGER}.{}.{}", std::process::id(), TEMP_SEQ.fetch_add(1, Ordering::Relaxed)));
        if fs::write(&tmp, total.to_string()).is_err() || fs::rename(&tmp, self.dir.join(LEDGER)).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    /// After a write: when the ledger says the entries are over the cap (or has no total),
    /// scans them and removes the least recently used down to nine tenths of the cap, so that
    /// the next scan is many writes away; otherwise touches nothing. `None`: no scan was needed.
    pub fn trim(&self) -> io::Result<Option<Evicted>> {
        if self.ledger().is_some_and(|total| total <= self.cap) {
            return Ok(None);
        }
        self.evict_to(self.cap / 10 * 9).map(Some)
    }

    /// Removes the least recently used entries until the total size is at most the cap, and
    /// temporary files older than an hour (left by a process that died mid-write).
    pub fn evict(&self) -> io::Result<Evicted> {
        self.evict_to(self.cap)
    }

    /// [`DiskCache::evict`] down to `target` bytes; writes the exact total to the ledger.
    fn evict_to(&self, target: u64) -> io::Result<Evicted> {
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        for sub in fs::read_dir(&self.dir)? {
            let sub = sub?;
            let name = sub.file_name();
            let is_tmp = name == "tmp";
            if !sub.file_type()?.is_dir() {
                continue;
            }
            let Ok(files) = fs::read_dir(sub.path()) else { continue };
            for f in files.flatten() {
                let Ok(meta) = f.metadata() else { continue };
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                if is_tmp {
                    let age = SystemTime::now().duration_since(modified).unwrap_or(Duration::ZERO);
                    if age > Duration::from_secs(3600) {
                        let _ = fs::remove_file(f.path());
                    }
                    continue;
                }
                entries.push((modified, meta.len(), f.path()));
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
        let mut removed = 0;
        for (_, len, path) in entries {
            if total <= target {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                removed += 1;
            }
            total -= len;
        }
        self.set_ledger(total);
        Ok(Evicted { removed, kept_bytes: total })
    }
}

fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A 64-bit checksum, enough to catch corruption and truncation (not an adversary): FNV's
/// prime over 64-bit words in two independent lanes (a warm `vaisc run` reads its whole
/// bundle, and byte-at-a-time FNV-1a was most of the cost of reading it), the tail and the
/// length mixed in last.
fn checksum(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut lanes = [0xcbf2_9ce4_8422_2325u64, 0x8422_2325_cbf2_9ce4];
    let mut blocks = bytes.chunks_exact(16);
    for b in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            let w = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
            *lane = (*lane ^ w).wrapping_mul(PRIME).rotate_left(29);
        }
    }
    let mut h = lanes[0] ^ lanes[1].rotate_left(32);
    for &b in blocks.remainder() {
        h = (h ^ b as u64).wrapping_mul(PRIME);
    }
    (h ^ bytes.len() as u64).wrapping_mul(PRIME)
}

fn encode(key: Key, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&key.0.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn decode(key: Key, bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < HEADER || bytes[..8] != MAGIC {
        return None;
    }
    let stored_key = u128::from_le_bytes(bytes[8..24].try_into().ok()?);
    let len = u64::from_le_bytes(bytes[24..32].try_into().ok()?);
    let sum = u64::from_le_bytes(bytes[32..40].try_into().ok()?);
    let payload = &bytes[HEADER..];
    (stored_key == key.0 && len == payload.len() as u64 && sum == checksum(payload)).then_some(payload)
}

#[cfg(test)]
mod tests;
