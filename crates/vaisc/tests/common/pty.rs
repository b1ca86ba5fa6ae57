//! `vaisc` on a real pseudo-terminal (standard input, output and error all on it): what a user
//! at a terminal sees, byte for byte.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Pty {
    pub child: Child,
    writer: File,
    rx: mpsc::Receiver<u8>,
    /// Screen output not consumed by [`Pty::expect`] yet.
    pub seen: String,
}

impl Pty {
    /// Starts `vaisc args` on a new pseudo-terminal (no colours, history under a fresh
    /// `XDG_STATE_HOME` in the temporary directory).
    pub fn spawn(args: &[&str], state_dir: &std::path::Path) -> Pty {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two fds into the provided integers; null name/termios/winsize are allowed.
        let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
        assert_eq!(rc, 0, "openpty failed");
        // SAFETY: both fds were just returned by openpty and are owned here.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let child = super::vaisc()
            .args(args)
            .env("XDG_STATE_HOME", state_dir)
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        let writer = File::from(master);
        let mut reader = writer.try_clone().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for &b in &buf[..n] {
                    if tx.send(b).is_err() {
                        return;
                    }
                }
            }
        });
        Pty { child, writer, rx, seen: String::new() }
    }

    /// Waits (at most 10 s) until `needle` appears; returns the screen output before it and
    /// consumes both.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.seen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(b) => self.seen.push(b as char),
                Err(_) => panic!("timed out waiting for {needle:?}; screen so far:\n{:?}", self.seen),
            }
        }
        let at = self.seen.find(needle).unwrap();
        let before = self.seen[..at].to_string();
        self.seen.drain(..at + needle.len());
        before
    }

    pub fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends Ctrl-D and waits (at most 10 s) for a successful exit.
    pub fn finish(&mut self) {
        self.send("\x04");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}");
                return;
            }
            assert!(Instant::now() < deadline, "repl did not exit on Ctrl-D");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
