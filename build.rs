//! Tells the test suite whether a PostgreSQL server is configured for it
//! (`HIGHLIGHTS_TEST_POSTGRES_URL`): without one, the PostgreSQL twin of each
//! test is reported as ignored, never as passed.
//!
//! Also rebuilds the crate when a migration is added or changed: they are
//! embedded at compile time (`sqlx::migrate!`), and a build script that names
//! what it watches turns off cargo's own watching of the package's files.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=HIGHLIGHTS_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-changed=migrations");
    if std::env::var("HIGHLIGHTS_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
