//! The real binary: `--port 0` and the printed URL, the port file, SIGTERM, `check`.

use std::process::Stdio;
use std::time::Duration;

use hyper::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_vms-billing-mock");

struct Running {
    child: Child,
    url: String,
    stdout: BufReader<tokio::process::ChildStdout>,
}

async fn launch(args: &[&str]) -> Running {
    launch_with_stderr(args, Stdio::piped()).await
}

/// [`launch`] with stderr going where the test says.
async fn launch_with_stderr(args: &[&str], stderr: Stdio) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the binary");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line))
        .await
        .expect("the binary prints its URL")
        .expect("read stdout");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Running { child, url, stdout }
}

impl Running {
    fn addr(&self) -> std::net::SocketAddr {
        self.url
            .strip_prefix("http://")
            .expect("http url")
            .parse()
            .expect("socket address")
    }

    /// SIGTERM, then the exit code and everything printed.
    async fn terminate(mut self) -> (Option<i32>, String, String) {
        let code = stop(&mut self.child).await;
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).await.expect("stdout");
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err)
            .await
            .expect("stderr");
        (code, out, err)
    }
}

#[tokio::test]
async fn binary_on_port_zero_prints_its_url_serves_the_vendor_example_and_exits_0_on_sigterm() {
    let running = launch(&["--port", "0", "--clock", "2023-05-02T10:18:50Z"]).await;
    assert!(
        running.url.starts_with("http://127.0.0.1:"),
        "{}",
        running.url
    );
    assert_ne!(running.addr().port(), 0);
    let mut client = Client::connect(running.addr()).await;
    let answer = client.post(USERS, &vendor_example()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), VENDOR_RESPONSE);
    let mut failing = vendor_example();
    failing["login"] = serde_json::json!(null);
    assert_eq!(
        client.post(USERS, &failing).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    drop(client);
    let (code, out, err) = running.terminate().await;
    assert_eq!(code, Some(0), "stderr: {err}");
    // The password never reaches the mock's output.
    assert!(
        !out.contains("qweasdzxc") && !err.contains("qweasdzxc"),
        "{out}{err}"
    );
}

#[tokio::test]
async fn a_stderr_nobody_reads_does_not_keep_the_binary_from_exiting_on_sigterm() {
    // Stderr is a pipe the test never reads: request lines pile up beyond what it takes, and
    // SIGTERM must still end the process (the lines that did not fit are lost).
    let running = launch(&["--port", "0"]).await;
    let mut client = Client::connect(running.addr()).await;
    for _ in 0..1000 {
        let answer = client.post(USERS, &serde_json::json!({"login": 5})).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    drop(client);
    let mut running = running;
    assert_eq!(stop(&mut running.child).await, Some(0));
}

// Linux only: the mock grows and measures a pipe with Linux's `fcntl`s.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_stderr_pipe_nobody_reads_is_left_with_room_for_whoever_shares_it() {
    // A wrapper (valgrind, a CI script) shares the mock's stderr and writes to it after the
    // mock exits; nobody reads the pipe. The mock must not have filled it, or the wrapper's
    // last words block forever.
    let (mut reader, wrapper) = std::io::pipe().expect("pipe");
    let shared = wrapper.try_clone().expect("clone the pipe's writing end");
    let mut running = launch_with_stderr(&["--port", "0"], shared.into()).await;
    let mut client = Client::connect(running.addr()).await;
    // About 100 KB of request lines, more than Linux's default pipe of 64 KiB takes.
    for _ in 0..500 {
        let answer = client.post(USERS, &serde_json::json!({"login": 5})).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    drop(client);
    assert_eq!(stop(&mut running.child).await, Some(0));
    // The wrapper's last words, about the size of valgrind's summary, on a thread: a full
    // pipe would block the write for good.
    let last_words = format!("{}\n", "wrapper: done ".repeat(40));
    let (sent, written) = std::sync::mpsc::channel();
    let words = last_words.clone();
    std::thread::spawn(move || {
        let mut wrapper = wrapper;
        let _ = sent.send(std::io::Write::write_all(&mut wrapper, words.as_bytes()).is_ok());
    });
    assert_eq!(
        written.recv_timeout(Duration::from_secs(10)),
        Ok(true),
        "the wrapper could not write to the pipe the mock left"
    );
    // The mock grew the pipe to 256 KiB, so every line it wrote is there, the last included.
    let size = rustix::pipe::fcntl_getpipe_size(&reader).expect("the pipe's size");
    assert_eq!(size, 256 << 10);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).expect("read the pipe");
    let logged = text
        .strip_suffix(&last_words)
        .expect("the wrapper's words last");
    assert_eq!(
        logged
            .lines()
            .filter(|l| l.contains(" INFO request "))
            .count(),
        500,
        "{logged}"
    );
    assert!(logged.ends_with(" INFO stopped\n"), "{logged}");
}

// Linux only: wake-ups are counted from /proc.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_idle_binary_wakes_no_thread_and_logs_the_next_request_all_the_same() {
    // A sidecar spends most of its life waiting: it must not wake a thread on a timer (its
    // log writer used to, 50 times a second).
    let running = launch(&["--port", "0"]).await;
    let pid = running.child.id().expect("pid");
    // The start-up lines are written first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = voluntary_wakeups(pid);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = voluntary_wakeups(pid) - before;
    assert!(idle <= 2, "{idle} thread wake-ups in one idle second");
    let mut client = Client::connect(running.addr()).await;
    let answer = client.post(USERS, &serde_json::json!({"login": 5})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    drop(client);
    let (code, _, err) = running.terminate().await;
    assert_eq!(code, Some(0));
    assert_eq!(
        err.lines().filter(|l| l.contains(" INFO request ")).count(),
        1,
        "{err}"
    );
}

/// The times the threads of process `pid` blocked and were woken, all threads together.
#[cfg(target_os = "linux")]
fn voluntary_wakeups(pid: u32) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the process's threads");
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|n| n.trim().parse::<u64>().ok())
        })
        .sum()
}

#[tokio::test]
async fn environment_variables_configure_the_binary_and_the_port_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let port_file = dir.path().join("port");
    let mut child = Command::new(BIN)
        .env_clear()
        .env("VMS_MOCK_PORT", "0")
        .env("VMS_MOCK_PORT_FILE", &port_file)
        .env("VMS_MOCK_LOCALE", "ru")
        .env("VMS_MOCK_ID_START", "500")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).await.unwrap();
    let port: u16 = std::fs::read_to_string(&port_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(line.trim(), format!("listening on http://127.0.0.1:{port}"));
    let mut client = Client::connect(([127, 0, 0, 1], port).into()).await;
    assert_eq!(
        client.post(USERS, &user("env@x.com")).await.json()["id"],
        500
    );
    let answer = client
        .post(
            USERS,
            &serde_json::json!({"login": "x", "password": "p", "type": "t"}),
        )
        .await;
    assert_eq!(answer.json()["message"], "Поле status обязательно.");
    child.start_kill().unwrap();
}

async fn run_to_end(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .output()
        .await
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn bad_flags_exit_non_zero_with_a_message() {
    let (code, _, err) = run_to_end(&["--clock", "yesterday"]).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim(),
        "error: --clock: invalid instant \"yesterday\": expected RFC 3339 such as 2023-05-02T10:18:50Z (too short)"
    );
    let (code, _, err) = run_to_end(&["--locale", "de"]).await;
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown locale \"de\", expected one of en, ru"),
        "{err}"
    );
    let (code, _, err) = run_to_end(&["--schemas", "/nonexistent/schemas"]).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim(),
        "error: --schemas /nonexistent/schemas: No such file or directory (os error 2)"
    );
}

#[tokio::test]
async fn check_accepts_the_shipped_schemas_and_names_the_broken_file() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");
    let (code, out, err) = run_to_end(&["check", shipped]).await;
    assert_eq!(code, Some(0), "{err}");
    let names = [
        "cameras",
        "intercoms",
        "licenses-check",
        "licenses",
        "user-create",
        "user-delete",
        "user-update",
    ];
    let expected: String = names
        .iter()
        .map(|n| format!("ok: {shipped}/{n}.schema.json\n"))
        .collect();
    assert_eq!(out, expected);

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("user-create.schema.json");
    std::fs::write(
        &bad,
        r#"{"type": "object", "properties": {"login": {"type": "strin"}}}"#,
    )
    .unwrap();
    let (code, _, err) = run_to_end(&["check", bad.to_str().unwrap()]).await;
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with(&format!(
            "error: {}: invalid JSON Schema at /properties/login/type: ",
            bad.display()
        )),
        "{err}"
    );
    let (code, out, _) = run_to_end(&["check"]).await;
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "ok: the configured schemas compile and scenarios load (default)\n"
    );
}

const SHIPPED: [&str; 9] = [
    "default",
    "documented-example",
    "duplicate-login",
    "flaky-connection",
    "rate-limited",
    "server-error",
    "slow-backend",
    "upsert",
    "validation-on-demand",
];

#[tokio::test]
async fn check_accepts_every_shipped_scenario() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let (code, out, err) = run_to_end(&["check", dir]).await;
    assert_eq!(code, Some(0), "{err}");
    let expected: String = SHIPPED
        .iter()
        .map(|n| format!("ok: {dir}/{n}.json\n"))
        .collect();
    assert_eq!(out, expected);
}

#[tokio::test]
async fn check_names_file_place_and_problem_of_broken_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "fault.json",
            r#"{"name": "x", "rules": [{}, {}, {"respond": {"fault": "reset"}}]}"#,
            "rules[0].respond: required: what the rule answers",
        ),
        (
            "fault2.json",
            r#"{"name": "x", "rules": [{"respond": {"status": 500}}, {"respond": {"status": 500}}, {"respond": {"fault": "reset"}}]}"#,
            "rules[2].respond.fault: unknown fault \"reset\", expected one of connection_reset, empty_response, malformed_json, timeout",
        ),
        (
            "key.json",
            r#"{"name": "x", "rules": [{"respond": {"status": 500}, "tims": 2}]}"#,
            "rules[0].tims: unknown key \"tims\", expected one of name, match, times, respond",
        ),
        (
            "match.json",
            r#"{"name": "x", "rules": [{"match": {"body": {"a": 1}, "nht": 2}, "respond": {"status": 500}}]}"#,
            "rules[0].match.nht: unknown key \"nht\", expected one of method, path, headers, body, nth, every, probability, seed",
        ),
        (
            "user.json",
            r#"{"name": "x", "users": [{"login": "a", "password": "p", "type": "t", "status": "s"}, {"login": "b", "password": "p", "type": ["t"], "status": "s"}]}"#,
            "users[1].type: The type field must be a string.",
        ),
        (
            "dup.json",
            r#"{"name": "x", "users": [{"login": "a", "password": "p", "type": "t", "status": "s"}, {"login": "A", "password": "p", "type": "t", "status": "s"}]}"#,
            "users[1].login: The login has already been taken.",
        ),
        (
            "setting.json",
            r#"{"name": "x", "settings": {"on_duplicate_login": "merge"}}"#,
            "settings.on_duplicate_login: unknown value \"merge\", expected one of reject, upsert",
        ),
        (
            "locale.json",
            r#"{"name": "x", "settings": {"locale": "de"}}"#,
            "settings.locale: unknown locale \"de\", expected one of en, ru",
        ),
        (
            "clock.json",
            r#"{"name": "x", "settings": {"clock": "now"}}"#,
            "settings.clock: invalid instant \"now\": expected RFC 3339 such as 2023-05-02T10:18:50Z (too short)",
        ),
        (
            "delay.json",
            r#"{"name": "x", "rules": [{"respond": {"delay_ms": {"min": 5, "max": 1}}}]}"#,
            "rules[0].respond.delay_ms: min (5) is greater than max (1)",
        ),
        (
            "both.json",
            r#"{"name": "x", "rules": [{"respond": {"status": 500, "fault": "timeout"}}]}"#,
            "rules[0].respond: status and fault cannot be combined: use one of errors, status, fault",
        ),
        (
            "hold.json",
            r#"{"name": "x", "rules": [{"respond": {"fault": "empty_response", "hold_ms": 5}}]}"#,
            "rules[0].respond.hold_ms: only applies with fault timeout",
        ),
        (
            "status.json",
            r#"{"name": "x", "rules": [{"respond": {"status": 700}}]}"#,
            "rules[0].respond.status: expected an integer from 200 to 599, found 700",
        ),
        (
            "prob.json",
            r#"{"name": "x", "rules": [{"match": {"probability": 2}, "respond": {"status": 500}}]}"#,
            "rules[0].match.probability: expected a number from 0 to 1, found 2",
        ),
        (
            "json.json",
            "{\"name\": \"x\",\n \"rules\": [",
            "not valid JSON: EOF while parsing a list at line 2 column 11",
        ),
    ];
    for (file, text, problem) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let (code, out, err) = run_to_end(&["check", path.to_str().unwrap()]).await;
        assert_eq!(code, Some(1), "{file}: {out}");
        assert_eq!(
            err,
            format!("error: {}: {problem}\n", path.display()),
            "{file}"
        );
    }
}

#[tokio::test]
async fn scenarios_folder_and_active_flag_select_the_behaviour() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let running = launch(&[
        "--port",
        "0",
        "--scenarios",
        dir,
        "--active",
        "rate-limited",
    ])
    .await;
    let mut client = Client::connect(running.addr()).await;
    let answer = client.post(USERS, &user("a@x.com")).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let list = client
        .send(hyper::Method::GET, "/__admin/scenarios", &[], "")
        .await
        .json();
    let names: Vec<&str> = list["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut expected = SHIPPED.to_vec();
    expected.sort();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert_eq!(list["active"], "rate-limited");
    drop(client);
    let (code, _, _) = running.terminate().await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn scenario_file_flag_loads_and_activates_it() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/documented-example.json"
    );
    let running = launch(&["--port", "0", "--scenario", file]).await;
    let mut client = Client::connect(running.addr()).await;
    assert_eq!(
        client.post(USERS, &vendor_example()).await.text(),
        VENDOR_RESPONSE
    );
    drop(client);
    running.terminate().await;
}

#[tokio::test]
async fn unknown_active_scenario_is_a_startup_error_listing_the_loaded_ones() {
    let (code, _, err) = run_to_end(&["--active", "nope"]).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        "error: --active: no scenario named \"nope\"; loaded: default\n"
    );
    let (code, _, err) = run_to_end(&["--scenario", "/nonexistent.json"]).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        "error: /nonexistent.json: No such file or directory (os error 2)\n"
    );
}

#[tokio::test]
async fn check_refuses_a_misnamed_schema_and_duplicate_scenario_names_as_startup_does() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir_all(&schemas).unwrap();
    std::fs::create_dir_all(&scenarios).unwrap();
    let misnamed = schemas.join("user-craete.schema.json");
    std::fs::write(&misnamed, r#"{"type": "object"}"#).unwrap();
    let (a, b) = (scenarios.join("a.json"), scenarios.join("b.json"));
    std::fs::write(&a, r#"{"name": "same"}"#).unwrap();
    std::fs::write(&b, r#"{"name": "same"}"#).unwrap();
    let (schemas, scenarios) = (schemas.to_str().unwrap(), scenarios.to_str().unwrap());

    let unknown = format!(
        "error: {}: unknown schema file, expected one of user-create.schema.json, \
         user-update.schema.json, user-delete.schema.json, licenses.schema.json, \
         licenses-check.schema.json, cameras.schema.json, intercoms.schema.json\n",
        misnamed.display()
    );
    for args in [
        vec!["--port", "0", "--schemas", schemas],
        vec!["check", schemas],
        vec!["check", "--schemas", schemas],
    ] {
        let (code, _, err) = run_to_end(&args).await;
        assert_eq!(
            (code, err.as_str()),
            (Some(1), unknown.as_str()),
            "{args:?}"
        );
    }

    let duplicate = format!(
        "two scenarios are named \"same\" ({} and {}): names must be unique\n",
        a.display(),
        b.display()
    );
    for args in [
        vec!["--port", "0", "--scenarios", scenarios],
        vec!["check", "--scenarios", scenarios],
    ] {
        let (code, _, err) = run_to_end(&args).await;
        assert_eq!(
            (code, err),
            (Some(1), format!("error: {duplicate}")),
            "{args:?}"
        );
    }
    // Checking the folder itself names the second file first, then both.
    let (code, out, err) = run_to_end(&["check", scenarios]).await;
    assert_eq!(code, Some(1));
    assert_eq!(out, format!("ok: {}\n", a.display()));
    assert_eq!(err, format!("error: {}: {duplicate}", b.display()));
}

/// SIGTERM, then the exit code, within 20 seconds.
async fn stop(child: &mut Child) -> Option<i32> {
    sigterm(child.id().expect("running"));
    tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("wait")
        .code()
}

/// Sends SIGTERM without spawning `kill`, so the signal lands as close as possible to the
/// moment the port file appears.
fn sigterm(pid: u32) {
    let pid = libc::pid_t::try_from(pid).expect("pid fits");
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
}

#[test]
fn sigterm_right_after_the_port_file_appears_exits_0_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let port_file = dir.path().join("port");
    for start in 0..100 {
        let child = std::process::Command::new(BIN)
            .args(["--port", "0", "--port-file"])
            .arg(&port_file)
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the binary");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !port_file.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "start {start}: no port file"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        sigterm(child.id());
        let out = child.wait_with_output().expect("wait");
        assert_eq!(
            out.status.code(),
            Some(0),
            "start {start}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!port_file.exists(), "start {start}: port file left behind");
    }
}

#[tokio::test]
async fn a_stale_port_file_is_replaced_and_a_symlink_there_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let port_file = dir.path().join("port");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep me\n").unwrap();
    std::os::unix::fs::symlink(&victim, &port_file).unwrap();
    let running = launch(&["--port", "0", "--port-file", port_file.to_str().unwrap()]).await;
    let written = std::fs::read_to_string(&port_file).unwrap();
    assert_eq!(written, format!("{}\n", running.addr().port()));
    assert!(!std::fs::symlink_metadata(&port_file).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    let (code, _, _) = running.terminate().await;
    assert_eq!(code, Some(0));
    assert!(!port_file.exists());
}

/// Starts the binary with `env` and posts an invalid create without `Accept`.
async fn post_without_accept(env: &[(&str, &str)]) -> (StatusCode, String) {
    let mut command = Command::new(BIN);
    command.args(["--port", "0"]).env_clear();
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).await.unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap();
    let mut client = Client::connect(addr.parse().unwrap()).await;
    let answer = client
        .send(
            hyper::Method::POST,
            USERS,
            &[("content-type", "application/json")],
            r#"{"login": "x"}"#,
        )
        .await;
    child.start_kill().unwrap();
    let content_type = answer.header("content-type").unwrap_or_default().to_owned();
    (answer.status, content_type)
}

#[tokio::test]
async fn boolean_environment_variables_accept_the_usual_spellings() {
    let redirect = (StatusCode::FOUND, "text/html; charset=utf-8".to_owned());
    let json = (
        StatusCode::UNPROCESSABLE_ENTITY,
        "application/json".to_owned(),
    );
    for (env, expected) in [
        (vec![], &redirect),
        (vec![("VMS_MOCK_STRICT_ACCEPT", "1")], &redirect),
        (vec![("VMS_MOCK_STRICT_ACCEPT", "true")], &redirect),
        (vec![("VMS_MOCK_STRICT_ACCEPT", "0")], &json),
        (vec![("VMS_MOCK_STRICT_ACCEPT", "off")], &json),
        (vec![("VMS_MOCK_LENIENT_ACCEPT", "yes")], &json),
        (vec![("VMS_MOCK_LENIENT_ACCEPT", "on")], &json),
        (vec![("VMS_MOCK_LENIENT_ACCEPT", "no")], &redirect),
        (vec![("VMS_MOCK_LENIENT_ACCEPT", "false")], &redirect),
    ] {
        assert_eq!(&post_without_accept(&env).await, expected, "{env:?}");
    }
}

#[tokio::test]
async fn numeric_flags_out_of_range_are_usage_errors() {
    for (args, range) in [
        (
            vec!["--id-start", "18446744073709551615"],
            "18446744073709551615 is not in 0..=9223372036854775807",
        ),
        (vec!["--max-connections", "0"], "0 is not in 1..=1000000"),
        (vec!["--max-body-bytes", "0"], "0 is not in 1..=67108864"),
        (vec!["--body-timeout-ms", "0"], "0 is not in 1..=86400000"),
    ] {
        let (code, _, err) = run_to_end(&args).await;
        assert_eq!(code, Some(2), "{args:?}");
        assert!(err.contains(range), "{args:?}: {err}");
    }
}

#[tokio::test]
async fn beyond_loopback_the_admin_api_gets_a_generated_token() {
    let mut running = launch(&["--bind", "0.0.0.0", "--port", "0"]).await;
    let port = running
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    let mut stderr = BufReader::new(running.child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).await.unwrap();
    let token = line
        .split("needs a token: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token in {line:?}"))
        .to_owned();
    assert_eq!(token.len(), 32);
    let mut client = Client::connect(([127, 0, 0, 1], port).into()).await;
    let refused = client
        .send(hyper::Method::GET, "/__admin/users", &[], "")
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {token}");
    let allowed = client
        .send(
            hyper::Method::GET,
            "/__admin/users",
            &[("authorization", &bearer)],
            "",
        )
        .await;
    assert_eq!(allowed.status, StatusCode::OK);
    let health = client
        .send(hyper::Method::GET, "/__admin/health", &[], "")
        .await;
    assert_eq!(health.status, StatusCode::OK);
    running.child.start_kill().unwrap();
}
