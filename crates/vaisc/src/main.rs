//! `vaisc`: the command-line driver.
fn main() {}
