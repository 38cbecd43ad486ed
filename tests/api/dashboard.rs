//! The dashboard at `/__admin/ui`, driven in a real headless Chromium through ChromeDriver
//! (Debian: `apt-get install chromium chromium-driver`). Without them these tests say that
//! they skipped; with `VMS_MOCK_BROWSER_TESTS=require` (as `.ci/run` sets) they fail instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper::Method;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::helpers::*;

/// A headless Chromium session and the ChromeDriver behind it; both end when it drops.
struct Browser {
    client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Starts Chromium, or says why not: `None` means "skip", unless skipping is not allowed.
async fn browser(test: &str) -> Option<Browser> {
    let chromium = find_binary(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = find_binary(&["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        let why = "no chromium and chromedriver on PATH (Debian: apt-get install -y chromium chromium-driver)";
        if std::env::var("VMS_MOCK_BROWSER_TESTS").as_deref() == Ok("require") {
            panic!("{test}: VMS_MOCK_BROWSER_TESTS=require but {why}");
        }
        eprintln!("SKIPPED browser test {test}: {why}");
        return None;
    };
    Some(launch(&chromium, &driver).await)
}

async fn launch(chromium: &Path, driver: &Path) -> Browser {
    let port = free_port();
    let driver = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().expect("a profile folder");
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,1600".to_owned(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium, "args": args}),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        // ChromeDriver is plain HTTP on loopback: no TLS stack needed.
        let mut builder = ClientBuilder::new(HttpConnector::new());
        match builder.capabilities(caps.clone()).connect(&url).await {
            Ok(client) => break client,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("chromedriver on {url} gave no session: {e}"),
        }
    };
    Browser {
        client,
        _driver: driver,
        _profile: profile,
    }
}

/// ChromeDriver's `POST /session/{id}/se/log`: the browser console since the last call.
#[derive(Debug)]
struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (hyper::http::Method, Option<String>) {
        (
            hyper::http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_owned()),
        )
    }
}

impl Browser {
    /// Opens the dashboard and waits until its first loads are done.
    async fn open(&self, server: &TestServer) {
        let url = format!("http://{}/__admin/ui", server.addr);
        self.client.goto(&url).await.expect("the page loads");
        self.until("the page is ready", || async {
            self.script("return document.body.dataset.ready === 'true'")
                .await
                .as_bool()
                .unwrap_or(false)
        })
        .await;
    }

    async fn script(&self, js: &str) -> Value {
        self.client.execute(js, vec![]).await.expect("script runs")
    }

    async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} is on the page: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css} can be clicked: {e}"));
    }

    /// Waits up to five seconds for `ready`; panics naming `what` if it never is.
    async fn until<F, Fut>(&self, what: &str, mut ready: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ready().await {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The console's errors and warnings since the last call.
    async fn console_problems(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(ConsoleLog)
            .await
            .expect("chromedriver returns the console log");
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_loads_without_console_errors_and_shows_a_request_within_a_second() {
    let Some(browser) = browser("dashboard stream").await else {
        return;
    };
    let server = TestServer::start().await;
    browser.open(&server).await;
    assert_eq!(
        browser.text("#stream-state").await,
        "(live)",
        "the stream is connected"
    );
    let token_form = browser
        .script("return getComputedStyle(document.getElementById('token-form')).display")
        .await;
    assert_eq!(
        token_form, "none",
        "no token is asked for when none is needed"
    );

    let sent = Instant::now();
    let answer = server.create_user(&vendor_example()).await;
    assert_eq!(answer.status, 200);
    browser
        .until("the create appears in the stream", || async {
            browser
                .text("#stream li:first-child summary")
                .await
                .contains("200 POST /api/v1/billing/user/manage")
        })
        .await;
    let seen_after = sent.elapsed();
    assert!(
        seen_after < Duration::from_secs(1),
        "the request reached the page after {seen_after:?}"
    );
    // Expanded, the entry shows the request as the journal keeps it: the password redacted.
    browser.click("#stream li:first-child summary").await;
    let entry = browser.text("#stream li:first-child details").await;
    assert!(entry.contains("\"password\": \"***\""), "{entry}");
    assert!(!entry.contains("qweasdzxc"), "{entry}");
    assert!(entry.contains("\"login\": \"test@mail.com\""), "{entry}");
    let glance = browser.text("#glance-text").await;
    assert!(glance.contains("2xx 1,"), "{glance}");
    assert_eq!(browser.console_problems().await, Vec::<String>::new());
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activating_server_error_by_clicking_makes_the_next_create_answer_500() {
    let Some(browser) = browser("dashboard scenarios").await else {
        return;
    };
    let server = TestServer::with(|c| {
        c.add_scenario(shipped("server-error")).expect("a new name");
    })
    .await;
    browser.open(&server).await;
    browser
        .click("button[data-scenario=\"server-error\"]")
        .await;
    browser
        .until("server-error is shown active", || async {
            browser.text("#active-name").await == "(server-error)"
        })
        .await;
    let answer = server.create_user(&vendor_example()).await;
    assert_eq!(answer.status, 500);
    // The rule's counters move on the page.
    browser
        .until("the rule shows it fired", || async {
            browser.text("#rules td[data-count=\"answered\"]").await == "1"
        })
        .await;
    assert_eq!(browser.console_problems().await, Vec::<String>::new());
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_user_appears_with_its_licences_and_reset_clears_it() {
    let Some(browser) = browser("dashboard users").await else {
        return;
    };
    let server = TestServer::start().await;
    browser.open(&server).await;
    assert_eq!(server.create_user(&vendor_example()).await.status, 200);
    let licences = server
        .post(
            &format!("{USERS}/licenses"),
            &json!({"login": "test@mail.com", "analytic_l1": 2, "analytic_l3": 1}),
        )
        .await;
    assert_eq!(licences.status, 204);
    browser
        .until("the user is in the table", || async {
            browser.text("#users tbody").await.contains("test@mail.com")
        })
        .await;
    browser
        .click("button[aria-label=\"Details of test@mail.com\"]")
        .await;
    browser
        .until("the detail shows the licences", || async {
            browser
                .text("#user-detail dd[data-field=\"licences\"]")
                .await
                == "analytic_l1: 2, analytic_l2: none, analytic_l3: 1"
        })
        .await;
    let focused = browser.script("return document.activeElement.id").await;
    assert_eq!(focused, "user-detail-h", "the detail takes the focus");

    browser.click("#reset").await;
    browser
        .until("the table is empty", || async {
            browser.text("#users-count").await == "(0)"
        })
        .await;
    assert!(!browser.text("#users tbody").await.contains("test@mail.com"));
    let users = server.admin(Method::GET, "/users", None).await;
    assert_eq!(users.json(), json!({"users": []}));
    assert_eq!(browser.console_problems().await, Vec::<String>::new());
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_the_page_asks_for_it_and_then_works() {
    let Some(browser) = browser("dashboard token").await else {
        return;
    };
    let server = TestServer::with(|c| c.set_admin_token(Some("s3cret-token".into()))).await;
    let url = format!("http://{}/__admin/ui", server.addr);
    browser.client.goto(&url).await.expect("the page loads");
    browser
        .until("the token form shows", || async {
            browser
                .script("return !document.getElementById('token-form').hidden")
                .await
                .as_bool()
                .unwrap_or(false)
        })
        .await;
    let field = browser
        .client
        .find(Locator::Css("#token"))
        .await
        .expect("token field");
    field.send_keys("s3cret-token").await.expect("typing");
    browser.click("#token-form button").await;
    browser
        .until("the stream connects", || async {
            browser.text("#stream-state").await == "(live)"
        })
        .await;
    assert_eq!(server.create_user(&vendor_example()).await.status, 200);
    browser
        .until("the user is in the table", || async {
            browser.text("#users tbody").await.contains("test@mail.com")
        })
        .await;
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_it_sends_the_vendors_example_and_shows_the_answer() {
    let Some(browser) = browser("dashboard try it").await else {
        return;
    };
    let server = TestServer::with_scenario(shipped("documented-example")).await;
    browser.open(&server).await;
    browser.click("#try-send").await;
    browser
        .until("the answer shows", || async {
            browser.text("#try-answer").await.starts_with("200 OK")
        })
        .await;
    let answer = browser.text("#try-answer").await;
    assert!(
        answer.contains("\"created_at\": \"2023-05-02T10:18:50.000000Z\""),
        "{answer}"
    );
    assert!(answer.contains("\"id\": 1"), "{answer}");
    browser.close().await;
    server.stop().await;
}

// --- over plain HTTP: what the page is served with, and the access rules around it ---------

#[tokio::test]
async fn the_page_is_served_embedded_with_a_policy_that_allows_only_its_own_files() {
    let server = TestServer::start().await;
    for (path, content_type) in [
        ("/__admin/ui", "text/html; charset=utf-8"),
        ("/__admin/ui/", "text/html; charset=utf-8"),
        ("/__admin/ui/app.js", "text/javascript; charset=utf-8"),
        ("/__admin/ui/app.css", "text/css; charset=utf-8"),
    ] {
        let answer = server.send(Method::GET, path, &[], "").await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("content-type"), Some(content_type), "{path}");
        assert_eq!(
            answer.header("content-security-policy"),
            Some(
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            ),
            "{path}"
        );
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
    }
    let page = server.send(Method::GET, "/__admin/ui", &[], "").await;
    assert!(page.text().starts_with("<!doctype html>"));
    assert!(
        !page.text().contains("http://") && !page.text().contains("https://"),
        "nothing external"
    );
    let missing = server
        .send(Method::GET, "/__admin/ui/other.js", &[], "")
        .await;
    assert_eq!(missing.status, 404);
    let post = server
        .send(Method::POST, "/__admin/ui", &[("x-mock-admin", "1")], "")
        .await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET"));
    server.stop().await;
}

#[tokio::test]
async fn admin_root_redirects_to_the_dashboard() {
    let server = TestServer::start().await;
    for path in ["/__admin", "/__admin/"] {
        let answer = server.send(Method::GET, path, &[], "").await;
        assert_eq!(answer.status, 302, "{path}");
        assert_eq!(answer.header("location"), Some("/__admin/ui"), "{path}");
        assert!(answer.body.is_empty());
    }
    server.stop().await;
}

#[tokio::test]
async fn with_a_token_the_page_is_open_but_the_data_it_reads_is_not() {
    let server = TestServer::with(|c| c.set_admin_token(Some("t0ken".into()))).await;
    let token = [("x-mock-admin-token", "t0ken")];
    for (path, headers, status) in [
        ("/__admin/ui", &[][..], 200),
        ("/__admin/ui/app.js", &[][..], 200),
        ("/__admin/", &[][..], 302),
        ("/__admin/users", &[][..], 401),
        ("/__admin/scenario/rules", &[][..], 401),
        ("/__admin/scenario/rules", &token[..], 200),
    ] {
        let answer = server.send(Method::GET, path, headers, "").await;
        assert_eq!(answer.status, status, "{path} {headers:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_page_is_not_served_to_a_rebinding_host_name() {
    let server = TestServer::start().await;
    let answer = server
        .send(
            Method::GET,
            "/__admin/ui",
            &[("host", "evil.example:80")],
            "",
        )
        .await;
    assert_eq!(answer.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn rule_counts_say_how_often_each_rule_matched_and_answered() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "counted",
        "rules": [
            {"name": "third", "match": {"method": "POST", "nth": 3}, "respond": {"status": 503}, "times": 1},
            {"match": {"method": "DELETE"}, "respond": {"status": 500}}
        ]
    })))
    .await;
    let fresh = server.admin(Method::GET, "/scenario/rules", None).await;
    assert_eq!(
        fresh.json(),
        json!({"scenario": "counted", "rules": [
            {"label": "third", "seen": 0, "answered": 0, "times": 1},
            {"label": "1", "seen": 0, "answered": 0, "times": null}
        ]})
    );
    for expected in [200, 422, 503] {
        let body = json!({"login": format!("u{expected}@x.com"), "password": "secret12", "type": "t", "status": "active"});
        let body = if expected == 422 { json!({}) } else { body };
        assert_eq!(server.create_user(&body).await.status, expected);
    }
    let counted = server.admin(Method::GET, "/scenario/rules", None).await;
    assert_eq!(
        counted.json()["rules"],
        json!([
            {"label": "third", "seen": 3, "answered": 1, "times": 1},
            {"label": "1", "seen": 0, "answered": 0, "times": null}
        ])
    );
    server.stop().await;
}

/// Writes `docs/dashboard.png`, the README's picture. Not a check, so not run by default:
/// `cargo test dashboard::a_screenshot -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/dashboard.png; run with --ignored"]
async fn a_screenshot_for_the_readme() {
    let Some(browser) = browser("dashboard screenshot").await else {
        return;
    };
    let server = TestServer::with(|c| {
        c.add_scenario(shipped("duplicate-login"))
            .expect("a new name");
        c.add_scenario(shipped("server-error")).expect("a new name");
    })
    .await;
    browser.open(&server).await;
    assert_eq!(server.create_user(&vendor_example()).await.status, 200);
    server
        .post(
            &format!("{USERS}/licenses"),
            &json!({"login": "test@mail.com", "analytic_l1": 2}),
        )
        .await;
    server.post(USERS, &json!({"login": "x"})).await;
    browser
        .until("three requests are listed", || async {
            browser
                .script("return document.querySelectorAll('#stream li').length")
                .await
                == 3
        })
        .await;
    browser
        .until("the user is in the table", || async {
            browser.text("#users tbody").await.contains("test@mail.com")
        })
        .await;
    browser
        .click("button[aria-label=\"Details of test@mail.com\"]")
        .await;
    browser.script("window.scrollTo(0, 0)").await;
    let png = browser.client.screenshot().await.expect("a screenshot");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dashboard.png");
    std::fs::write(&path, png).expect("docs/dashboard.png written");
    browser.close().await;
    server.stop().await;
}
