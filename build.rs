//! Re-embeds the migrations when one changes, and decides which test suites
//! this machine can run. A suite that cannot run is marked ignored (with the
//! reason), so `cargo test` shows it in its summary instead of a silent
//! `ok`. In CI (`CI=true`) or with `PROMODESK_REQUIRE_ALL=1` nothing is
//! ignored: a missing browser or database fails the tests.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(promodesk_no_browser)");
    println!("cargo::rustc-check-cfg=cfg(promodesk_no_postgres)");
    for var in [
        "CI",
        "PROMODESK_REQUIRE_ALL",
        "CHROMEDRIVER",
        "CHROMIUM",
        "TEST_POSTGRES_URL",
        "PATH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    // Installing chromium or chromium-driver changes this folder.
    if Path::new("/usr/bin").is_dir() {
        println!("cargo:rerun-if-changed=/usr/bin");
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    let required = std::env::var("PROMODESK_REQUIRE_ALL").is_ok_and(|v| v == "1");
    if ci || required {
        return;
    }
    if !browser_installed() {
        println!("cargo::rustc-cfg=promodesk_no_browser");
        println!(
            "cargo::warning=the browser tests will be IGNORED: no chromium/chromedriver. Install them with `sudo apt-get install chromium chromium-driver`."
        );
    }
    if !postgres_reachable() {
        println!("cargo::rustc-cfg=promodesk_no_postgres");
        println!(
            "cargo::warning=the PostgreSQL tests will be IGNORED: nothing answers at TEST_POSTGRES_URL (default 127.0.0.1:5432). Start PostgreSQL, then `touch build.rs`."
        );
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

fn browser_installed() -> bool {
    let driver = std::env::var("CHROMEDRIVER")
        .map(|p| Path::new(&p).is_file())
        .unwrap_or_else(|_| on_path("chromedriver"));
    let chromium = std::env::var("CHROMIUM")
        .map(|p| Path::new(&p).is_file())
        .unwrap_or_else(|_| Path::new("/usr/bin/chromium").is_file());
    driver && chromium
}

/// Does anything accept connections at the test server's host and port?
fn postgres_reachable() -> bool {
    let url = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host_port = host_port.split('/').next().unwrap_or(host_port);
    let with_port = if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    };
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok())
}
