//! Unit tests of the cache's storage discipline: round trips, every kind of damaged entry,
//! eviction order, configuration from the environment, and concurrent writers.

use super::*;
use std::collections::HashMap;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("vais-cache-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn cache(t: &TempDir, cap: u64) -> DiskCache {
    DiskCache::open(&Config { root: t.0.clone(), namespace: "v-test".into(), cap }).unwrap()
}

#[test]
fn round_trip_and_miss() {
    let t = TempDir::new("round");
    let c = cache(&t, DEFAULT_CAP);
    assert_eq!(c.get(Key(1)), None);
    c.put(Key(1), b"machine code").unwrap();
    c.put(Key(2), b"").unwrap();
    assert_eq!(c.get(Key(1)).as_deref(), Some(&b"machine code"[..]));
    assert_eq!(c.get(Key(2)).as_deref(), Some(&b""[..]));
    c.put(Key(1), b"replaced").unwrap();
    assert_eq!(c.get(Key(1)).as_deref(), Some(&b"replaced"[..]));
    assert_eq!(c.stats(), Stats { hits: 3, misses: 1, rejected: 0, written: 3 });
    // The entry sits in the versioned directory, nothing is left in tmp/.
    assert!(c.dir().ends_with("v-test"));
    assert_eq!(fs::read_dir(c.dir().join("tmp")).unwrap().count(), 0);
}

#[test]
fn damaged_entries_are_misses_and_removed() {
    let t = TempDir::new("damaged");
    let c = cache(&t, DEFAULT_CAP);
    let payload: Vec<u8> = (0..200u8).collect();
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 6] = [
        ("flipped payload byte", |b| b[HEADER + 7] ^= 1),
        ("truncated payload", |b| b.truncate(b.len() - 3)),
        ("truncated header", |b| b.truncate(HEADER - 1)),
        ("empty file", |b| b.clear()),
        ("foreign magic", |b| b[0] = b'X'),
        ("extra bytes", |b| b.push(0)),
    ];
    for (i, (what, damage)) in damages.iter().enumerate() {
        let key = Key(100 + i as u128);
        c.put(key, &payload).unwrap();
        let path = c.path(key);
        let mut bytes = fs::read(&path).unwrap();
        damage(&mut bytes);
        fs::write(&path, &bytes).unwrap();
        assert_eq!(c.get(key), None, "{what} was trusted");
        assert!(!path.exists(), "{what}: the bad entry was not removed");
        c.put(key, &payload).unwrap();
        assert_eq!(c.get(key).as_deref(), Some(&payload[..]), "{what}: not rewritten");
    }
    assert_eq!(c.stats().rejected, damages.len() as u64);
}

#[test]
fn an_entry_under_another_keys_name_is_rejected() {
    let t = TempDir::new("renamed");
    let c = cache(&t, DEFAULT_CAP);
    c.put(Key(7), b"seven").unwrap();
    let from = c.path(Key(7));
    let to = c.path(Key(8));
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(&from, &to).unwrap();
    assert_eq!(c.get(Key(8)), None);
    assert_eq!(c.get(Key(7)).as_deref(), Some(&b"seven"[..]));
}

#[test]
fn eviction_removes_least_recently_used_first() {
    let t = TempDir::new("evict");
    let entry = HEADER as u64 + 1000;
    let c = cache(&t, 3 * entry);
    let old = SystemTime::now() - Duration::from_secs(1000);
    for k in 0..5u128 {
        c.put(Key(k), &[k as u8; 1000]).unwrap();
        // Distinct, increasing ages: entry 0 is the oldest.
        let f = OpenOptions::new().write(true).open(c.path(Key(k))).unwrap();
        f.set_modified(old + Duration::from_secs(k as u64 * 10)).unwrap();
    }
    // Reading entry 0 makes it the most recently used.
    assert!(c.get(Key(0)).is_some());
    let ev = c.evict().unwrap();
    assert_eq!(ev, Evicted { removed: 2, kept_bytes: 3 * entry });
    let present: Vec<u128> = (0..5).filter(|&k| c.path(Key(k)).exists()).collect();
    assert_eq!(present, vec![0, 3, 4]);
    // Under the cap nothing more goes.
    assert_eq!(c.evict().unwrap().removed, 0);
}

#[test]
fn stale_temporary_files_are_swept() {
    let t = TempDir::new("tmp");
    let c = cache(&t, DEFAULT_CAP);
    let stale = c.dir().join("tmp").join("dead.1.2.3");
    let fresh = c.dir().join("tmp").join("live.1.2.3");
    fs::write(&stale, b"half").unwrap();
    fs::write(&fresh, b"half").unwrap();
    let f = OpenOptions::new().write(true).open(&stale).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(7200)).unwrap();
    c.evict().unwrap();
    assert!(!stale.exists());
    assert!(fresh.exists(), "a write in progress must not be swept");
}

#[test]
fn configuration_from_the_environment() {
    let env = |pairs: &[(&str, &str)]| {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_vars("ns", move |k| m.get(k).cloned())
    };
    let c = env(&[("HOME", "/home/u")]).unwrap();
    assert_eq!(c.root, PathBuf::from("/home/u/.cache/vais"));
    assert_eq!(c.cap, DEFAULT_CAP);
    let c = env(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/x")]).unwrap();
    assert_eq!(c.root, PathBuf::from("/x/vais"));
    let c = env(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x"), ("VAIS_CACHE_DIR", "/d"), ("VAIS_CACHE_MAX", "64M")]).unwrap();
    assert_eq!((c.root, c.cap), (PathBuf::from("/d"), 64 << 20));
    assert_eq!(env(&[("HOME", "/h"), ("VAIS_CACHE", "off")]).unwrap_err(), Disabled::ByEnvironment);
    assert_eq!(env(&[("HOME", "/h"), ("VAIS_CACHE", "0")]).unwrap_err(), Disabled::ByEnvironment);
    assert!(env(&[("HOME", "/h"), ("VAIS_CACHE", "1")]).is_ok());
    assert_eq!(env(&[]).unwrap_err(), Disabled::NoDirectory);
    assert_eq!(env(&[("HOME", "/h"), ("VAIS_CACHE_MAX", "lots")]).unwrap().cap, DEFAULT_CAP);
}

#[test]
fn sizes() {
    assert_eq!(parse_size("1234"), Some(1234));
    assert_eq!(parse_size("64k"), Some(64 << 10));
    assert_eq!(parse_size("256MiB"), Some(256 << 20));
    assert_eq!(parse_size(" 2G "), Some(2 << 30));
    assert_eq!(parse_size("2GB"), Some(2 << 30));
    assert_eq!(parse_size("M"), None);
    assert_eq!(parse_size("-1"), None);
    assert_eq!(parse_size("99999999999999999999G"), None);
}

#[test]
fn concurrent_writers_and_readers_never_see_a_torn_entry() {
    let t = TempDir::new("concurrent");
    let config = Config { root: t.0.clone(), namespace: "v-test".into(), cap: DEFAULT_CAP };
    let threads: Vec<_> = (0..4u8)
        .map(|id| {
            let config = config.clone();
            std::thread::spawn(move || {
                let c = DiskCache::open(&config).unwrap();
                for round in 0..200u32 {
                    let key = Key((round % 8) as u128);
                    // Each writer stores a payload whose bytes all equal its id, of a length that
                    // varies, so a mix of two writes would be visible.
                    let len = 1 + (round as usize * 37 + id as usize * 101) % 4000;
                    c.put(key, &vec![id; len]).unwrap();
                    if let Some(p) = c.get(Key(((round + 3) % 8) as u128)) {
                        assert!(!p.is_empty() && p.iter().all(|&b| b == p[0]), "torn entry");
                    }
                }
                c.stats().rejected
            })
        })
        .collect();
    let rejected: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(rejected, 0);
}

/// A write under the cap scans nothing: a stale temporary file (which any scan sweeps) stays.
/// Once the ledger passes the cap, `trim` scans: the oldest entries go until the total is at
/// most nine tenths of the cap, and the ledger holds the exact total again.
#[test]
fn trim_scans_only_when_the_ledger_passes_the_cap() {
    let t = TempDir::new("trim");
    let entry = HEADER as u64 + 1000;
    let c = cache(&t, 10 * entry);
    // No ledger yet (a new or older cache directory): the first trim scans and writes one.
    assert_eq!(c.trim().unwrap(), Some(Evicted { removed: 0, kept_bytes: 0 }));
    assert_eq!(c.ledger(), Some(0));
    let stale = c.dir().join("tmp").join("dead.1.2.3");
    fs::write(&stale, b"half").unwrap();
    let f = OpenOptions::new().write(true).open(&stale).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(7200)).unwrap();
    let old = SystemTime::now() - Duration::from_secs(1000);
    for k in 0..10u128 {
        c.put(Key(k), &[k as u8; 1000]).unwrap();
        let f = OpenOptions::new().write(true).open(c.path(Key(k))).unwrap();
        f.set_modified(old + Duration::from_secs(k as u64 * 10)).unwrap();
        assert_eq!(c.trim().unwrap(), None, "entry {k}: at or under the cap, no scan");
    }
    assert_eq!(c.ledger(), Some(10 * entry));
    assert!(stale.exists(), "no scan ran");
    c.put(Key(10), &[10; 1000]).unwrap();
    assert_eq!(c.ledger(), Some(11 * entry));
    // Over the cap: down to 9 entries (nine tenths of 10), the two oldest removed.
    assert_eq!(c.trim().unwrap(), Some(Evicted { removed: 2, kept_bytes: 9 * entry }));
    let present: Vec<u128> = (0..11).filter(|&k| c.path(Key(k)).exists()).collect();
    assert_eq!(present, (2..11).collect::<Vec<_>>());
    assert_eq!(c.ledger(), Some(9 * entry));
    assert!(!stale.exists(), "the scan swept the stale temporary file");
}

/// A damaged ledger is no total: the next trim scans and repairs it.
#[test]
fn a_damaged_ledger_is_rebuilt_by_a_scan() {
    let t = TempDir::new("ledger");
    let c = cache(&t, DEFAULT_CAP);
    c.put(Key(1), &[1; 100]).unwrap();
    fs::write(c.dir().join(LEDGER), b"not a number").unwrap();
    c.put(Key(2), &[2; 100]).unwrap();
    assert_eq!(c.ledger(), None);
    assert_eq!(c.trim().unwrap(), Some(Evicted { removed: 0, kept_bytes: 2 * (HEADER as u64 + 100) }));
    assert_eq!(c.ledger(), Some(2 * (HEADER as u64 + 100)));
}
