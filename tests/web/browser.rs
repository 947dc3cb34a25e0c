//! A real browser (headless Chromium through chromedriver and fantoccini)
//! drives the app on 127.0.0.1.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::helpers::*;

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts chromedriver. The browser tests are marked ignored when it was
/// not installed at build time (`build.rs`); one that runs and cannot start
/// it fails.
fn start_driver() -> Option<Driver> {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    match Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => Some(Driver { child, port }),
        Err(e) => panic!(
            "chromedriver ({binary}) could not start: {e}. Install it with `sudo apt-get install chromium chromium-driver`."
        ),
    }
}

async fn connect(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900"
            ]
        }),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    for _ in 0..50 {
        if let Ok(client) = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver at {url} did not answer");
}

/// Saves a screenshot when PROMODESK_SCREENSHOTS names a folder.
async fn snap(browser: &Client, name: &str) {
    if let Ok(dir) = std::env::var("PROMODESK_SCREENSHOTS")
        && let Ok(png) = browser.screenshot().await
    {
        let _ = std::fs::write(format!("{dir}/{name}.png"), png);
    }
}

async fn fill(browser: &Client, name: &str, value: &str) {
    let field = browser
        .find(Locator::Css(&format!("[name=\"{name}\"]")))
        .await
        .unwrap_or_else(|e| panic!("field {name}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn select(browser: &Client, name: &str, value: &str) {
    browser
        .find(Locator::Css(&format!("select[name=\"{name}\"]")))
        .await
        .expect("select")
        .select_by_value(value)
        .await
        .expect("choose option");
}

async fn submit(browser: &Client) {
    browser
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("click");
}

/// Waits (up to 10 s) until the browser shows the page at `path`.
async fn wait_path(browser: &Client, path: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(url) = browser.current_url().await {
            last = url.path().to_string();
            if last == path {
                assert_no_csp_violation(browser).await;
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser stayed on {last}, expected {path}");
}

/// Fails if the page broke its Content-Security-Policy: `early.js` notes
/// every violation on the root element.
async fn assert_no_csp_violation(browser: &Client) {
    let seen = browser
        .execute(
            "return document.documentElement.getAttribute('data-csp-violations');",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("read the CSP violations: {e}"));
    assert!(
        seen.is_null(),
        "CSP violations on {:?}: {seen}",
        browser.current_url().await.ok()
    );
    let js = browser
        .execute(
            "return document.documentElement.classList.contains('js');",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("run a script: {e}"));
    assert_eq!(js, serde_json::Value::Bool(true), "early.js did not run");
}

/// Waits (up to 10 s) until the page's text contains `needle`.
async fn wait_text(browser: &Client, needle: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(body) = browser.find(Locator::Css("body")).await {
            last = body.text().await.unwrap_or_default();
            if last.contains(needle) {
                assert_no_csp_violation(browser).await;
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}; it shows:\n{last}");
}

/// Fills in and sends the setup form: owner account and store `acme`.
async fn setup_in_browser(browser: &Client, base: &str) {
    browser.goto(&format!("{base}/admin")).await.expect("open");
    wait_path(browser, "/admin/setup").await;
    fill(browser, "email", OWNER_EMAIL).await;
    fill(browser, "password", PASSWORD).await;
    fill(browser, "store_name", "Acme Outfitters").await;
    fill(browser, "store_slug", "acme").await;
    select(browser, "currency", "EUR").await;
    select(browser, "timezone", "Europe/Berlin").await;
    submit(browser).await;
    wait_path(browser, "/admin/s/acme").await;
}

/// Clicks "Copy URL", waits for "Copied!" and returns the share URL shown.
async fn copy_share_url(browser: &Client) -> String {
    click(browser, "button[data-copy]").await;
    wait_text(browser, "Copied!").await;
    browser
        .find(Locator::Css("[data-field=share_url]"))
        .await
        .expect("share url")
        .text()
        .await
        .expect("text")
}

/// Creates a percent coupon through the form (once, no limits).
async fn create_coupon_in_browser(browser: &Client, base: &str, code: &str, percent: &str) {
    browser
        .goto(&format!("{base}/admin/s/acme/coupons/new"))
        .await
        .expect("open");
    fill(browser, "code", code).await;
    click(browser, "#tab-amount").await;
    fill(browser, "percent_off", percent).await;
    click(browser, ".form-actions button[type=submit]").await;
    wait_text(browser, &format!("Coupon {code} created.")).await;
}

/// Opens `url` and waits until the page shows `text`.
async fn visit(browser: &Client, url: &str, text: &str) {
    browser
        .goto(url)
        .await
        .unwrap_or_else(|e| panic!("open {url}: {e}"));
    wait_text(browser, text).await;
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// What is wider than the window: the page itself (it scrolls sideways)
/// and, with `tables`, each table wider than the box it sits in (its
/// columns out of sight, to be scrolled to).
async fn too_wide(browser: &Client, tables: bool) -> Vec<String> {
    let wide = browser
        .execute(
            "const out = []; const page = document.documentElement; \
             if (page.scrollWidth > page.clientWidth + 1) out.push(`the page: ${page.scrollWidth} px in ${page.clientWidth}`); \
             if (arguments[0]) document.querySelectorAll('table').forEach(t => { const box = t.parentElement; \
               if (t.offsetParent !== null && t.scrollWidth > box.clientWidth + 1) \
                 out.push(`table.${t.className.replaceAll(' ', '.')}: ${t.scrollWidth} px in ${box.clientWidth}`); }); \
             return out;",
            vec![serde_json::Value::Bool(tables)],
        )
        .await
        .expect("measure the page");
    serde_json::from_value(wide).expect("a list")
}

/// The rendered height of the chart's first date label, in CSS pixels.
async fn label_height(browser: &Client) -> f64 {
    let height = browser
        .execute(
            "const label = Array.from(document.querySelectorAll('.chart-label, .chart-label > span')) \
               .find(e => /^[A-Z][a-z]{2} \\d+$/.test(e.textContent.trim())); \
             return label ? label.getBoundingClientRect().height : 0;",
            vec![],
        )
        .await
        .expect("measure the label");
    height.as_f64().expect("a number")
}

/// Asserts that the page fits a phone-sized window: neither the page nor
/// any table is wider than it (`too_wide`). Then takes the screenshot.
async fn snap_phone(browser: &Client, name: &str) {
    let wide = too_wide(browser, true).await;
    snap(browser, name).await;
    assert!(wide.is_empty(), "{name}: wider than a phone: {wide:?}");
}

/// Screenshots at 1280 px and at 390 px (`{name}-390`), the element
/// `scroll` (if any) scrolled to the top at 390; back at 1280 after.
async fn snap_both(browser: &Client, name: &str, scroll: Option<&str>) {
    snap(browser, name).await;
    browser.set_window_size(390, 844).await.expect("resize");
    if let Some(css) = scroll {
        scroll_to(browser, css).await;
    }
    snap_phone(browser, &format!("{name}-390")).await;
    browser.set_window_size(1280, 900).await.expect("resize");
}

/// Scrolls the element to the top of the window (for a screenshot).
async fn scroll_to(browser: &Client, css: &str) {
    browser
        .execute(
            &format!("document.querySelector({css:?}).scrollIntoView({{block: 'start'}});"),
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("scroll to {css}: {e}"));
}

/// Is the element shown (not hidden by a tab or CSS)?
async fn visible(browser: &Client, css: &str) -> bool {
    match browser.find(Locator::Css(css)).await {
        Ok(element) => element.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn setup_login_create_a_second_store_and_switch_stores() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let browser = connect(&driver).await;
    let base = &app.address;

    // First visit: setup.
    setup_in_browser(&browser, base).await;
    wait_text(&browser, "Welcome to Promodesk! Your store is ready.").await;
    snap_both(&browser, "store-overview", None).await;

    // Log out, then log in again.
    browser
        .find(Locator::Css("header form button"))
        .await
        .expect("logout button")
        .click()
        .await
        .expect("log out");
    wait_path(&browser, "/admin/login").await;
    wait_text(&browser, "You are logged out.").await;
    fill(&browser, "email", OWNER_EMAIL).await;
    fill(&browser, "password", "wrong password").await;
    submit(&browser).await;
    wait_text(&browser, "The email or password is wrong.").await;
    snap(&browser, "login-error").await;
    fill(&browser, "password", PASSWORD).await;
    submit(&browser).await;
    // The owner of one store lands in it.
    wait_path(&browser, "/admin/s/acme").await;
    browser
        .goto(&format!("{base}/admin"))
        .await
        .expect("open the store picker");
    wait_path(&browser, "/admin").await;

    // A second store.
    browser
        .find(Locator::LinkText("New store"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_path(&browser, "/admin/stores/new").await;
    fill(&browser, "name", "Beta Goods").await;
    fill(&browser, "slug", "Beta").await;
    submit(&browser).await;
    wait_text(&browser, "Use lowercase letters only").await;
    snap(&browser, "new-store-error").await;
    fill(&browser, "slug", "beta").await;
    submit(&browser).await;
    wait_path(&browser, "/admin/s/beta").await;
    let header = browser
        .find(Locator::Css("[data-field=store_name]"))
        .await
        .expect("store name");
    assert_eq!(header.text().await.expect("text"), "Beta Goods");

    // Switch back to the first store.
    browser
        .find(Locator::LinkText("Switch store"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_path(&browser, "/admin").await;
    snap(&browser, "picker").await;
    browser
        .find(Locator::Css("a[data-store=acme]"))
        .await
        .expect("acme")
        .click()
        .await
        .expect("click");
    wait_path(&browser, "/admin/s/acme").await;
    let header = browser
        .find(Locator::Css("[data-field=store_name]"))
        .await
        .expect("store name");
    assert_eq!(header.text().await.expect("text"), "Acme Outfitters");
    browser
        .find(Locator::LinkText("Settings"))
        .await
        .expect("nav")
        .click()
        .await
        .expect("click");
    wait_path(&browser, "/admin/s/acme/settings").await;
    snap(&browser, "settings").await;

    // The same pages on a phone-sized window still work.
    browser.set_window_size(390, 844).await.expect("resize");
    visit(
        &browser,
        &format!("{base}/admin/s/acme"),
        "Shareable URLs start with",
    )
    .await;
    snap_phone(&browser, "overview-390").await;
    browser
        .find(Locator::LinkText("Members"))
        .await
        .expect("nav")
        .click()
        .await
        .expect("click");
    wait_path(&browser, "/admin/s/acme/members").await;
    snap_phone(&browser, "members-390").await;

    browser.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn create_a_coupon_through_the_tabs_fix_an_error_and_copy_its_url() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let browser = connect(&driver).await;
    let base = &app.address;
    setup_in_browser(&browser, base).await;

    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons"),
        "No coupons yet",
    )
    .await;
    snap(&browser, "coupons-empty").await;
    browser
        .find(Locator::LinkText("New coupon"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_path(&browser, "/admin/s/acme/coupons/new").await;

    // One panel at a time; tabs switch by clicking.
    assert!(visible(&browser, "#f-code").await);
    assert!(!visible(&browser, "#f-percent_off").await);
    fill(&browser, "code", "SUMMER10").await;
    fill(&browser, "name", "Summer sale").await;
    snap(&browser, "coupon-form-code").await;
    click(&browser, "#tab-type").await;
    assert!(!visible(&browser, "#f-code").await);
    click(&browser, "input[name=discount_type][value=percent]").await;
    click(&browser, "#tab-amount").await;
    fill(&browser, "percent_off", "150").await;
    click(&browser, "#tab-duration").await;
    click(&browser, "input[name=duration][value=repeating]").await;
    fill(&browser, "duration_in_months", "3").await;
    snap(&browser, "coupon-form-duration").await;
    click(&browser, "#tab-redemptions").await;
    fill(&browser, "max_redemptions", "100").await;
    // The summary above the tabs follows every field.
    assert_eq!(
        text_of(&browser, "[data-summary]").await,
        "SUMMER10: 150% off for 3 billing cycles, every product, 100 uses"
    );
    click(&browser, ".form-actions button[type=submit]").await;

    // The server refuses 150%: the Amount tab opens on its own, flagged.
    wait_text(&browser, "Please fix the 1 problem below").await;
    assert!(visible(&browser, "#f-percent_off").await);
    assert!(!visible(&browser, "#f-code").await);
    let tab = browser
        .find(Locator::Css("#tab-amount"))
        .await
        .expect("tab");
    assert_eq!(
        tab.attr("aria-selected").await.expect("attr").as_deref(),
        Some("true")
    );
    assert_eq!(
        tab.attr("class").await.expect("attr").as_deref(),
        Some("tab has-error")
    );
    snap(&browser, "coupon-form-error").await;
    // The typed values survived the round trip.
    click(&browser, "#tab-duration").await;
    let months = browser
        .find(Locator::Css("#f-duration_in_months"))
        .await
        .expect("months");
    assert_eq!(
        months.prop("value").await.expect("value").as_deref(),
        Some("3")
    );

    click(&browser, "#tab-amount").await;
    fill(&browser, "percent_off", "20").await;
    click(&browser, ".form-actions button[type=submit]").await;
    wait_text(&browser, "Coupon SUMMER10 created.").await;
    let path = browser.current_url().await.expect("url").path().to_string();
    assert!(path.starts_with("/admin/s/acme/coupons/"), "{path}");
    wait_text(&browser, "20% off").await;
    wait_text(&browser, "3 months").await;
    wait_text(&browser, "0 of 100 used · 100 remaining").await;

    // Copy the share URL.
    let share = copy_share_url(&browser).await;
    assert_eq!(share, format!("{base}/acme?coupon=SUMMER10"));
    snap(&browser, "coupon-detail").await;

    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons"),
        "SUMMER10",
    )
    .await;
    snap(&browser, "coupons-list").await;
    browser.set_window_size(390, 844).await.expect("resize");
    snap_phone(&browser, "coupons-list-390").await;
    visit(&browser, &format!("{base}{path}"), "Shareable URL").await;
    snap_phone(&browser, "coupon-detail-390").await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons/new"),
        "Discount Type",
    )
    .await;
    snap_phone(&browser, "coupon-form-390").await;
    // A code that differs from SUMMER10 only in case: a warning as it is typed.
    browser.set_window_size(1280, 900).await.expect("resize");
    fill(&browser, "code", "Summer10").await;
    wait_text(
        &browser,
        "SUMMER10 already exists, differing only in upper and lower case.",
    )
    .await;
    snap(&browser, "coupon-form-case-warning").await;

    browser.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn create_a_promotion_code_with_a_generated_code_from_the_coupon_page_and_copy_its_url() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let browser = connect(&driver).await;
    let base = &app.address;
    setup_in_browser(&browser, base).await;

    // A coupon to hang the code on.
    create_coupon_in_browser(&browser, base, "FALL25", "25").await;

    // On the coupon's page: leave the code empty and create.
    wait_text(&browser, "No promotion codes yet.").await;
    click(&browser, ".quick-create button[type=submit]").await;
    wait_text(&browser, "Promotion code created.").await;
    let path = browser.current_url().await.expect("url").path().to_string();
    assert!(path.starts_with("/admin/s/acme/promotion-codes/"), "{path}");
    let code = browser
        .find(Locator::Css("[data-field=code]"))
        .await
        .expect("code")
        .text()
        .await
        .expect("text");
    assert_eq!(code.len(), 8, "{code}");
    assert!(
        code.chars()
            .all(|c| "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(c)),
        "{code}"
    );
    wait_text(&browser, "FALL25 · 25% off, once").await;

    let share = copy_share_url(&browser).await;
    assert_eq!(share, format!("{base}/acme?coupon={code}"));
    snap(&browser, "promotion-code-detail").await;

    // The coupon's page now lists it.
    browser
        .find(Locator::LinkText("FALL25"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_text(&browser, "Promotion codes").await;
    let listed = browser
        .find(Locator::Css(&format!("[data-promotion-code=\"{code}\"]")))
        .await
        .is_ok();
    assert!(listed, "the coupon page lists {code}");
    snap(&browser, "coupon-with-promotion-codes").await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/promotion-codes"),
        &code,
    )
    .await;
    snap(&browser, "promotion-codes-list").await;
    browser.set_window_size(390, 844).await.expect("resize");
    snap_phone(&browser, "promotion-codes-list-390").await;

    browser.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn create_a_set_of_1000_codes_watch_it_finish_and_download_the_csv() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let browser = connect(&driver).await;
    let base = &app.address;
    setup_in_browser(&browser, base).await;

    create_coupon_in_browser(&browser, base, "GIVEAWAY", "10").await;

    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupon-sets"),
        "No coupon sets yet",
    )
    .await;
    browser
        .find(Locator::LinkText("New coupon set"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_path(&browser, "/admin/s/acme/coupon-sets/new").await;
    fill(&browser, "name", "Newsletter").await;
    browser
        .find(Locator::Css("select[name=coupon_id] option:nth-child(2)"))
        .await
        .expect("coupon option")
        .click()
        .await
        .expect("choose");
    fill(&browser, "count", "1000").await;
    fill(&browser, "prefix", "NEWS-").await;
    snap(&browser, "coupon-set-new").await;
    click(&browser, ".form-actions button[type=submit]").await;

    // It finishes (the page refreshes itself while generating).
    wait_text(&browser, "Coupon set created.").await;
    for _ in 0..100 {
        let text = browser
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .unwrap_or_default();
        if !text.contains("Generating codes") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let total = browser
        .find(Locator::Css("[data-field=total]"))
        .await
        .expect("total")
        .text()
        .await
        .expect("text");
    assert_eq!(total, "1,000", "counts read with thousands separators");
    snap(&browser, "coupon-set-detail").await;

    // Download the CSV with the browser's own cookies.
    let href = browser
        .find(Locator::LinkText("Export CSV"))
        .await
        .expect("export link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    let csv: String = browser
        .execute(
            "return fetch(arguments[0]).then(r => r.text());",
            vec![serde_json::Value::String(href)],
        )
        .await
        .expect("fetch")
        .as_str()
        .unwrap_or_default()
        .to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "code,state,used_at,order_id,url");
    assert_eq!(lines.len(), 1001);
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with("NEWS-") && l.contains(",unused,"))
    );
    browser.set_window_size(390, 844).await.expect("resize");
    snap_phone(&browser, "coupon-set-detail-390").await;
    // A tablet-sized window: the side card's forms stay inside it.
    browser.set_window_size(900, 900).await.expect("resize");
    let wide = too_wide(&browser, false).await;
    assert!(wide.is_empty(), "the set's page at 900 px: {wide:?}");
    browser.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn open_a_share_url_check_out_see_the_receipt_and_the_count_move() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let browser = connect(&driver).await;
    let base = &app.address;
    setup_in_browser(&browser, base).await;

    // A €40.00 jacket and a 20% coupon.
    browser
        .goto(&format!("{base}/admin/s/acme/products/new"))
        .await
        .expect("open");
    fill(&browser, "name", "Rain jacket").await;
    fill(&browser, "price", "40.00").await;
    select(&browser, "currency", "EUR").await;
    select(&browser, "billing", "one_time").await;
    click(&browser, ".form-actions button.primary, button.primary").await;
    wait_text(&browser, "Rain jacket").await;
    create_coupon_in_browser(&browser, base, "RAIN20", "20").await;
    let coupon_path = browser.current_url().await.expect("url").path().to_string();
    let share = copy_share_url(&browser).await;
    assert_eq!(share, format!("{base}/acme?coupon=RAIN20"));

    // The share URL opens the checkout with the discount applied.
    browser.goto(&share).await.expect("open the share URL");
    wait_text(&browser, "RAIN20 applied").await;
    wait_text(&browser, "−€8.00").await;
    wait_text(&browser, "€32.00").await;
    snap(&browser, "checkout-with-code").await;
    fill(&browser, "email", "jane@example.com").await;
    click(&browser, ".summary button.primary").await;
    wait_text(&browser, "Thank you for your order").await;
    let path = browser.current_url().await.expect("url").path().to_string();
    assert!(path.starts_with("/acme/orders/"), "{path}");
    let total = browser
        .find(Locator::Css("[data-field=total]"))
        .await
        .expect("total")
        .prop("textContent")
        .await
        .expect("text");
    assert_eq!(total.as_deref(), Some("3200"));
    snap_both(&browser, "receipt", None).await;

    // The coupon's admin page counts it and lists the order.
    visit(&browser, &format!("{base}{coupon_path}"), "1 used").await;
    let times = browser
        .find(Locator::Css("[data-field=times_redeemed]"))
        .await
        .expect("times_redeemed")
        .text()
        .await
        .expect("text");
    assert_eq!(times, "1");
    wait_text(&browser, "jane@example.com").await;
    snap(&browser, "coupon-after-checkout").await;

    // Staff refund it from the order's page; the count goes back. First, a
    // look at the customer, from the order.
    click(&browser, "#orders a.code-link").await;
    wait_text(&browser, "Refund").await;
    snap(&browser, "order-detail").await;
    let order_path = browser.current_url().await.expect("url").path().to_string();
    click(&browser, "[data-field=customer_link]").await;
    wait_text(&browser, "Discount received").await;
    assert_eq!(
        text_of(&browser, "h1[data-field=email]").await,
        "jane@example.com"
    );
    assert_eq!(
        text_of(&browser, "[data-field=lifetime_spend]").await,
        "€32.00"
    );
    assert_eq!(
        text_of(&browser, "[data-field=discount_received]").await,
        "€8.00"
    );
    assert!(visible(&browser, "[data-code-used=RAIN20]").await);
    snap_both(&browser, "customer", None).await;
    visit(&browser, &format!("{base}{order_path}"), "Refund").await;
    browser
        .execute("window.confirm = () => true; return true;", vec![])
        .await
        .expect("accept the confirmation");
    click(&browser, "form[action$=\"/refund\"] button").await;
    wait_text(&browser, "Order refunded").await;
    snap(&browser, "order-refunded").await;
    visit(&browser, &format!("{base}/admin/s/acme/orders"), "Refunded").await;
    snap(&browser, "orders-list").await;
    visit(&browser, &format!("{base}{coupon_path}"), "0 used").await;

    // A near miss on the code's case is explained.
    visit(
        &browser,
        &format!("{base}/acme?coupon=rain20"),
        "Coupon codes are case-sensitive",
    )
    .await;
    snap_both(&browser, "checkout-refused", None).await;

    // Ordering with it anyway is refused, and staff see why.
    fill(&browser, "email", "joe@example.com").await;
    click(&browser, ".summary button.primary").await;
    wait_text(&browser, "Coupon codes are case-sensitive").await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/orders"),
        "Refused checkouts",
    )
    .await;
    wait_text(&browser, "joe@example.com").await;
    snap(&browser, "orders-with-refused").await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/customers"),
        "jane@example.com",
    )
    .await;
    snap(&browser, "customers").await;
    // Orders, customers and analytics on a phone: every column in sight.
    browser.set_window_size(390, 844).await.expect("resize");
    snap_phone(&browser, "customers-390").await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/orders"),
        "joe@example.com",
    )
    .await;
    snap_phone(&browser, "orders-390").await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/analytics"),
        "Store totals",
    )
    .await;
    snap_phone(&browser, "analytics-390").await;
    browser.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn an_owner_invites_a_manager_who_accepts_in_another_browser_and_lands_in_the_store() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let owner = connect(&driver).await;
    let base = &app.address;
    setup_in_browser(&owner, base).await;

    // The owner invites jane as manager and copies the one-time link.
    visit(
        &owner,
        &format!("{base}/admin/s/acme/members"),
        "Invite a member",
    )
    .await;
    fill(&owner, "email", "jane@example.com").await;
    select(&owner, "role", "manager").await;
    click(&owner, "form[action$='/members'] button[type=submit]").await;
    wait_text(&owner, "Invitation ready").await;
    click(&owner, "button[data-copy='#invite-url']").await;
    wait_text(&owner, "Copied!").await;
    snap(&owner, "members-invitation").await;
    let link = owner
        .find(Locator::Css("[data-field=invite_url]"))
        .await
        .expect("invite link")
        .text()
        .await
        .expect("text");
    assert!(link.starts_with(&format!("{base}/admin/invite/")), "{link}");

    // Jane, in a browser of her own, opens it, chooses a password and
    // lands in the store.
    let jane = connect(&driver).await;
    visit(&jane, &link, "Join Acme Outfitters").await;
    wait_text(&jane, "Choose a password").await;
    snap(&jane, "invitation-new-account").await;
    fill(&jane, "password", PASSWORD).await;
    submit(&jane).await;
    wait_path(&jane, "/admin/s/acme").await;
    wait_text(&jane, "Welcome to Acme Outfitters: you joined as Manager.").await;
    wait_text(&jane, "jane@example.com").await;

    // The owner sees her as a member, and the invitation is no longer open.
    visit(
        &owner,
        &format!("{base}/admin/s/acme/members"),
        "jane@example.com",
    )
    .await;
    let members = owner
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text");
    assert!(!members.contains("Open invitations"), "{members}");
    assert!(
        visible(
            &owner,
            "tr[data-member='jane@example.com'] select[name=role]"
        )
        .await
    );

    // The link worked once.
    visit(&jane, &link, "This invitation link does not work").await;
    jane.close().await.expect("close");
    owner.close().await.expect("close");
}

/// Logs the owner in through the login form.
async fn login_in_browser(browser: &Client, base: &str) {
    browser
        .goto(&format!("{base}/admin/login"))
        .await
        .expect("open");
    fill(browser, "email", OWNER_EMAIL).await;
    fill(browser, "password", PASSWORD).await;
    submit(browser).await;
    wait_text(browser, "Log out").await;
    browser
        .goto(&format!("{base}/admin/s/acme"))
        .await
        .expect("open the store");
    wait_path(browser, "/admin/s/acme").await;
}

/// The text of the first element that matches `css`.
async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn a_leaked_code_trips_its_velocity_limit_and_the_admin_rotates_it_from_the_overview() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let base = &app.address;
    let shop = crate::checkout::shop(&app).await;
    let coupon = app
        .create_coupon("acme", &[("code", "SPRING"), ("percent_off", "15")])
        .await
        .created_id();
    let promo = app
        .create_promo(
            "acme",
            coupon,
            &[
                ("code", "LEAKY"),
                ("velocity_limit", "5"),
                ("velocity_window", "hour"),
            ],
        )
        .await
        .created_id();

    // A burst of 12 checkouts with the code, all at once: 5 go through,
    // the 6th trips the limit and the code pauses.
    let burst = (0..12).map(|i| {
        let app = &app;
        let tee = shop.tee;
        async move {
            let email = format!("burst{i}@example.com");
            crate::checkout::buy(app, &email, "LEAKY", &[(tee, 1)])
                .await
                .status
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(burst).await;
    let placed = statuses.iter().filter(|s| **s == 303).count();
    assert_eq!(placed, 5, "statuses: {statuses:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM orders WHERE code = 'LEAKY'"),
        5
    );

    // The admin logs in: the overview's red banner names the code.
    let browser = connect(&driver).await;
    login_in_browser(&browser, base).await;
    wait_text(&browser, "A code is paused").await;
    assert!(
        visible(
            &browser,
            "[data-field=paused_codes] [data-paused-code=LEAKY]"
        )
        .await
    );
    snap_both(&browser, "overview-paused-code", None).await;

    // From the banner to the code's page, and rotate it.
    click(&browser, "[data-paused-code=LEAKY]").await;
    wait_path(&browser, &format!("/admin/s/acme/promotion-codes/{promo}")).await;
    assert!(visible(&browser, "[data-field=paused_banner]").await);
    browser
        .execute("window.confirm = () => true; return true;", vec![])
        .await
        .expect("accept the confirmation");
    click(
        &browser,
        "[data-field=paused_banner] form[action$=\"/rotate\"] button",
    )
    .await;
    wait_text(&browser, "Rotated from").await;
    let rotated = text_of(&browser, "[data-field=rotated_from]").await;
    assert_eq!(rotated, "LEAKY");
    let code = text_of(&browser, "[data-field=code]").await;
    assert_ne!(code, "LEAKY");
    snap(&browser, "promotion-code-rotated").await;
    let share = copy_share_url(&browser).await;
    assert_eq!(share, format!("{base}/acme?coupon={code}"));

    // The overview no longer warns, and the new share URL works.
    visit(
        &browser,
        &format!("{base}/admin/s/acme"),
        "Top codes, last 30 days",
    )
    .await;
    assert!(!visible(&browser, "[data-field=paused_codes]").await);
    browser.goto(&share).await.expect("open the share URL");
    wait_text(&browser, &format!("{code} applied")).await;
    fill(&browser, "email", "late@example.com").await;
    click(&browser, ".summary button.primary").await;
    wait_text(&browser, "Thank you for your order").await;
    let mut minor = Vec::new();
    for field in ["subtotal", "discount"] {
        let value = browser
            .find(Locator::Css(&format!("[data-field={field}]")))
            .await
            .expect(field)
            .prop("textContent")
            .await
            .expect("text")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("{field} in minor units"));
        minor.push(value);
    }
    assert!(minor[0] > 0, "something was bought");
    assert_eq!(minor[1], minor[0] * 15 / 100, "15% off the order");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM orders WHERE code = '{code}'"
        )),
        1
    );
    // The store's analytics and the coupon's chart, as a merchant sees
    // them on a desk and on a phone.
    visit(&browser, &format!("{base}/admin/s/acme/analytics"), "Codes").await;
    snap(&browser, "analytics").await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons/{coupon}"),
        "Performance",
    )
    .await;
    scroll_to(&browser, "#performance").await;
    snap(&browser, "coupon-with-chart").await;
    let wide = label_height(&browser).await;
    browser.set_window_size(390, 844).await.expect("resize");
    scroll_to(&browser, "#performance").await;
    snap_phone(&browser, "coupon-with-chart-390").await;
    // The chart's dates read the same on a phone as on a wide screen (they
    // were drawn inside the SVG, scaled with its width: 5 px against 20).
    let narrow = label_height(&browser).await;
    assert!(
        narrow > 0.0 && (narrow - wide).abs() < 1.0,
        "the chart's labels are {narrow} px high at 390 px and {wide} px at 1280 px"
    );
    visit(&browser, &format!("{base}/admin/s/acme/analytics"), "Codes").await;
    snap_phone(&browser, "analytics-390").await;
    browser.set_window_size(1280, 900).await.expect("resize");
    // The old code stays refused.
    browser
        .goto(&format!("{base}/acme?coupon=LEAKY"))
        .await
        .expect("open");
    let reason = browser
        .find(Locator::Css("[data-field=error_code]"))
        .await
        .expect("error code")
        .prop("textContent")
        .await
        .expect("text");
    assert_eq!(reason.as_deref(), Some("promotion_code_inactive"));
    browser.close().await.expect("close");
}

/// The heights of the elements matching `css`, in lines of their own text
/// (1.0 = one line).
async fn lines_of(browser: &Client, css: &str) -> Vec<f64> {
    let script = format!(
        "return Array.from(document.querySelectorAll({css:?})).map((e) => {{
           const style = getComputedStyle(e);
           const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
           const range = document.createRange();
           range.selectNodeContents(e);
           return range.getBoundingClientRect().height / line;
         }});"
    );
    let heights = browser
        .execute(&script, vec![])
        .await
        .unwrap_or_else(|e| panic!("measure {css}: {e}"));
    heights
        .as_array()
        .expect("an array")
        .iter()
        .map(|h| h.as_f64().expect("a number"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn archiving_asks_with_the_real_counts_and_a_phone_checkout_keeps_names_and_prices_whole() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let base = &app.address;
    app.setup_owner().await;
    app.create_product("acme", "Coffee Club (monthly)", "19.00", "USD", "recurring")
        .await;
    app.create_product("acme", "Espresso Beans", "12.50", "USD", "one_time")
        .await;
    let coupon = app
        .create_coupon("acme", &[("code", "FIRST100"), ("max_redemptions", "100")])
        .await
        .created_id();
    app.create_set("acme", coupon, "Mailing", "1000", "", "10")
        .await
        .assert_status(303);
    app.create_set("acme", coupon, "Partners", "4", "", "10")
        .await
        .assert_status(303);

    let browser = connect(&driver).await;
    login_in_browser(&browser, base).await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons/{coupon}"),
        "Coupon sets",
    )
    .await;
    snap(&browser, "coupon-with-sets").await;
    // Archive: the question names what goes. Cancelled first: nothing
    // happens.
    browser
        .execute(
            "window.asked = []; window.confirm = (q) => { window.asked.push(q); return false; }; return true;",
            vec![],
        )
        .await
        .expect("record the confirmation");
    click(&browser, "form[action$=\"/archive\"] button").await;
    let asked = browser
        .execute("return window.asked;", vec![])
        .await
        .expect("the question");
    assert_eq!(
        asked,
        serde_json::json!([
            "Archive FIRST100? 1,004 unused codes of 2 sets will be deleted; used codes are kept."
        ])
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM set_codes WHERE state = 'unused'"),
        1004,
        "a cancelled archive changes nothing"
    );
    browser
        .execute("window.confirm = () => true; return true;", vec![])
        .await
        .expect("accept");
    click(&browser, "form[action$=\"/archive\"] button").await;
    wait_text(&browser, "Its sets: 1,004 unused codes of 2 sets deleted.").await;
    snap(&browser, "coupon-archived-with-counts").await;

    // The public checkout on a phone: every product name and price on one
    // line.
    browser.set_window_size(390, 844).await.expect("resize");
    visit(&browser, &format!("{base}/acme"), "Espresso Beans").await;
    snap_phone(&browser, "checkout-390").await;
    for css in [
        ".products-table td:first-child label",
        ".products-table td.num:nth-child(2)",
    ] {
        let lines = lines_of(&browser, css).await;
        assert_eq!(lines.len(), 2, "{css}: one per product");
        assert!(
            lines.iter().all(|l| *l < 1.5),
            "{css} wraps: {lines:?} lines"
        );
    }
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .expect("page width");
    assert_eq!(
        overflow,
        serde_json::json!(0),
        "the page does not scroll sideways"
    );
    browser.close().await.expect("close");
}

/// Waits (up to 10 s) until the browser's URL has this query.
async fn wait_query(browser: &Client, query: &str) {
    for _ in 0..100 {
        if let Ok(url) = browser.current_url().await
            && url.query() == Some(query)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached ?{query}");
}

/// The codes of the coupon list's rows, top to bottom.
async fn listed_codes(browser: &Client) -> Vec<String> {
    let codes = browser
        .execute(
            "return Array.from(document.querySelectorAll('tr[data-coupon]')).map((r) => r.dataset.coupon);",
            vec![],
        )
        .await
        .expect("the rows");
    serde_json::from_value(codes).expect("codes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn the_coupon_list_sorts_by_its_headings_and_exports_what_it_shows() {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let base = &app.address;
    let shop = crate::checkout::shop(&app).await;
    for (code, uses) in [("MOST", 3), ("SOME", 1), ("NONE", 0)] {
        app.create_coupon("acme", &[("code", code), ("max_redemptions", "5")])
            .await
            .assert_status(303);
        for i in 0..uses {
            crate::checkout::buy(
                &app,
                &format!("{code}{i}@example.com"),
                code,
                &[(shop.tee, 1)],
            )
            .await
            .assert_status(303);
        }
    }
    let browser = connect(&driver).await;
    login_in_browser(&browser, base).await;
    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons"),
        "3 coupons",
    )
    .await;
    assert_eq!(
        listed_codes(&browser).await,
        ["NONE", "SOME", "MOST"],
        "newest first"
    );
    click(&browser, "a[data-sort=used]").await;
    wait_query(&browser, "sort=used").await;
    assert!(text_of(&browser, "a[data-sort=used]").await.ends_with('▲'));
    assert_eq!(listed_codes(&browser).await, ["NONE", "SOME", "MOST"]);
    click(&browser, "a[data-sort=used]").await;
    wait_query(&browser, "sort=-used").await;
    assert!(text_of(&browser, "a[data-sort=used]").await.ends_with('▼'));
    assert_eq!(listed_codes(&browser).await, ["MOST", "SOME", "NONE"]);
    snap(&browser, "coupons-sorted").await;
    // On a phone the filters fold away, and the code column stays.
    browser.set_window_size(390, 844).await.expect("resize");
    browser.refresh().await.expect("reload");
    wait_text(&browser, "Filter and sort").await;
    assert!(!visible(&browser, "#f-q").await, "the filters are folded");
    assert!(visible(&browser, "tr[data-coupon=MOST] a.code-link").await);
    assert!(!visible(&browser, "tr[data-coupon=MOST] .col-name").await);
    snap_phone(&browser, "coupons-sorted-390").await;
    click(&browser, "details.filters-fold summary").await;
    assert!(visible(&browser, "#f-q").await, "one tap unfolds them");
    browser.set_window_size(1280, 900).await.expect("resize");
    // A search, then the export of what it shows.
    fill(&browser, "q", "so").await;
    click(&browser, ".filters button[type=submit]").await;
    wait_text(&browser, "1 coupon").await;
    let csv = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('a[href*=\"coupons.csv\"]').href)
               .then((r) => r.text()).then(done, (e) => done(String(e)));",
            vec![],
        )
        .await
        .expect("the CSV");
    let csv = csv.as_str().expect("text").to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("code,name,"), "{csv}");
    assert!(lines[1].starts_with("SOME,"), "{csv}");
    assert!(lines[1].contains(",active,1,5,4,"), "{csv}");
    browser.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    promodesk_no_browser,
    ignore = "chromium and chromedriver were not installed when the tests were built: sudo apt-get install chromium chromium-driver"
)]
async fn a_built_share_link_fills_the_cart_an_order_leads_to_its_customer_and_coupons_archive_in_bulk()
 {
    let Some(driver) = start_driver() else { return };
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let base = &app.address;
    let shop = crate::checkout::shop(&app).await;
    let one = app
        .create_coupon("acme", &[("code", "ONE")])
        .await
        .created_id();
    let two = app
        .create_coupon("acme", &[("code", "TWO")])
        .await
        .created_id();
    app.create_coupon("acme", &[("code", "THREE")])
        .await
        .assert_status(303);
    app.create_set("acme", two, "Mailing", "5", "", "10")
        .await
        .assert_status(303);
    crate::checkout::buy(&app, "ann@example.com", "ONE", &[(shop.tee, 2)])
        .await
        .assert_status(303);
    let browser = connect(&driver).await;
    login_in_browser(&browser, base).await;

    // The link builder: a quantity typed changes the URL and its QR code.
    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons/{one}"),
        "Shareable URL",
    )
    .await;
    click(&browser, "details.link-builder summary").await;
    fill(&browser, &format!("quantity_{}", shop.tee), "2").await;
    let url = copy_share_url(&browser).await;
    assert_eq!(
        url,
        format!("{base}/acme?coupon=ONE&quantity_{}=2", shop.tee)
    );
    let src = browser
        .find(Locator::Css("[data-qr-image]"))
        .await
        .expect("the QR code")
        .attr("src")
        .await
        .expect("src")
        .unwrap_or_default();
    assert!(
        src.ends_with(&format!("/coupons/{one}/qr.svg?quantity_{}=2", shop.tee)),
        "{src}"
    );
    snap_both(&browser, "share-builder", Some("#share")).await;
    // The link opens the checkout with two tees and the code applied.
    visit(&browser, &url, "ONE").await;
    let quantity = browser
        .find(Locator::Css(&format!("[name=quantity_{}]", shop.tee)))
        .await
        .expect("the tee's quantity")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(quantity.as_deref(), Some("2"));
    let totals = text_of(&browser, ".totals").await;
    assert!(totals.contains("$40.00"), "two tees: {totals}");

    // An order's customer link opens the customer's page.
    visit(
        &browser,
        &format!("{base}/admin/s/acme/orders"),
        "ann@example.com",
    )
    .await;
    click(&browser, "table a.code-link").await;
    wait_text(&browser, "Refund").await;
    click(&browser, "[data-field=customer_link]").await;
    wait_text(&browser, "Discount received").await;
    let path = browser.current_url().await.expect("url").path().to_string();
    assert!(path.starts_with("/admin/s/acme/customers/"), "{path}");
    assert_eq!(
        text_of(&browser, "h1[data-field=email]").await,
        "ann@example.com"
    );
    assert_eq!(text_of(&browser, "[data-field=orders_count]").await, "1");
    snap_both(&browser, "customer", None).await;

    // The promotion code list counts and sorts; a code's page builds links too.
    let promo = app
        .create_promo("acme", one, &[("code", "FRIENDS")])
        .await
        .created_id();
    visit(
        &browser,
        &format!("{base}/admin/s/acme/promotion-codes?sort=-used"),
        "1 promotion code",
    )
    .await;
    assert!(text_of(&browser, "a[data-sort=used]").await.ends_with('▼'));
    snap(&browser, "promotion-codes-sorted").await;
    browser.set_window_size(390, 844).await.expect("resize");
    snap_phone(&browser, "promotion-codes-sorted-390").await;
    visit(
        &browser,
        &format!(
            "{base}/admin/s/acme/promotion-codes/{promo}?quantity_{}=1",
            shop.tee
        ),
        "Shareable URL",
    )
    .await;
    assert_eq!(
        text_of(&browser, "[data-field=share_url]").await,
        format!("{base}/acme?coupon=FRIENDS&quantity_{}=1", shop.tee)
    );
    scroll_to(&browser, "#share").await;
    snap_phone(&browser, "promotion-code-share-390").await;
    browser.set_window_size(1280, 900).await.expect("resize");

    // Bulk archive: select the page, leave one out, confirm once.
    visit(
        &browser,
        &format!("{base}/admin/s/acme/coupons"),
        "3 coupons",
    )
    .await;
    assert_eq!(
        text_of(&browser, "[data-bulk-button]").await,
        "Archive selected"
    );
    click(&browser, "[data-select-all]").await;
    assert_eq!(
        text_of(&browser, "[data-bulk-button]").await,
        "Archive 3 selected"
    );
    click(&browser, "tr[data-coupon=THREE] input[name=ids]").await;
    assert_eq!(
        text_of(&browser, "[data-bulk-button]").await,
        "Archive 2 selected"
    );
    snap(&browser, "coupons-selected").await;
    click(&browser, "[data-bulk-button]").await;
    wait_text(&browser, "Archive 2 coupons?").await;
    assert_eq!(
        text_of(&browser, "[data-field=bulk_consequence]").await,
        "No new redemptions until you unarchive them. 5 unused codes of 1 set will be deleted; used codes are kept."
    );
    snap_both(&browser, "bulk-confirm", None).await;
    click(&browser, ".bulk-confirm button[type=submit]").await;
    wait_text(&browser, "Archived 2 coupons: ONE, TWO.").await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM coupons WHERE archived_at IS NOT NULL"),
        2
    );
    browser.close().await.expect("close");
}
