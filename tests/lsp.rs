//! `bellows lsp` driven by a JSON-RPC client over the process's standard input and output
//! (Content-Length framing), as an editor drives it.

use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages read while waiting for another one.
    pending: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bellows"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bellows lsp starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("the body is JSON");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            incoming: rx,
            pending: VecDeque::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&mut self) -> Value {
        self.incoming
            .recv_timeout(WAIT)
            .expect("the server answers in time")
    }

    /// Sends a request and returns its response (other messages are kept for later).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let msg = self.next();
            if msg["id"] == json!(id) && msg.get("method").is_none() {
                return msg;
            }
            self.pending.push_back(msg);
        }
    }

    /// The next notification of this method.
    fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["method"] == method) {
            return self.pending.remove(i).unwrap();
        }
        loop {
            let msg = self.next();
            if msg["method"] == method {
                return msg;
            }
            self.pending.push_back(msg);
        }
    }

    fn initialize(&mut self, root: &Path) {
        let root_uri = url::Url::from_directory_path(root).unwrap().to_string();
        let init = self.request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "capabilities": {}}),
        );
        let caps = &init["result"]["capabilities"];
        assert_eq!(caps["textDocumentSync"], json!(1), "{init}");
        assert_eq!(caps["hoverProvider"], json!(true), "{init}");
        assert_eq!(caps["codeActionProvider"], json!(true), "{init}");
        self.notify("initialized", json!({}));
    }

    /// Waits for the process to end and returns its exit code.
    fn wait(mut self) -> Option<i32> {
        drop(self.stdin.take());
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("bellows lsp did not exit");
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics["params"]["diagnostics"]
        .as_array()
        .expect("a diagnostics list")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn an_editor_session() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().canonicalize().unwrap();
    write(&d, "bellows.toml", "dialect = \"postgres\"\n");
    write(
        &d,
        "migrations/0001_init.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100));\n",
    );
    // On disk the file is harmless; the editor's buffer is what gets linted.
    write(&d, "migrations/0002_change.sql", "SELECT 1;\n");
    let file = d.join("migrations/0002_change.sql");
    let uri = url::Url::from_file_path(&file).unwrap().to_string();

    let mut c = Client::start(&d);
    c.initialize(&d);

    // The index build is reported, its range in UTF-16 columns.
    let first =
        "SET lock_timeout = '5s';\n\n/* 𝄞 */ CREATE INDEX users_name_idx ON users (name);\n";
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "sql", "version": 1, "text": first}}),
    );
    let diags = c.notification("textDocument/publishDiagnostics");
    assert_eq!(diags["params"]["uri"], json!(uri));
    assert_eq!(codes(&diags), ["create-index-non-concurrent"], "{diags}");
    let d0 = &diags["params"]["diagnostics"][0];
    // `/* 𝄞 */ ` is 9 UTF-16 units (the clef takes two).
    let stmt = "CREATE INDEX users_name_idx ON users (name)";
    assert_eq!(
        d0["range"],
        json!({"start": {"line": 2, "character": 9}, "end": {"line": 2, "character": 9 + stmt.len()}}),
        "{d0}"
    );
    assert_eq!(d0["severity"], json!(1));
    assert!(
        d0["message"]
            .as_str()
            .unwrap()
            .contains("help: build it without blocking writes"),
        "{d0}"
    );

    // The fix: CONCURRENTLY and the no-transaction directive, against the buffer.
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": d0["range"],
            "context": {"diagnostics": [d0]}
        }),
    );
    let list = actions["result"].as_array().expect("a list of actions");
    assert_eq!(list.len(), 1, "{actions}");
    let action = &list[0];
    assert_eq!(action["kind"], json!("quickfix"));
    assert_eq!(
        action["diagnostics"][0]["code"],
        json!("create-index-non-concurrent")
    );
    let change = &action["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"], json!({"uri": uri, "version": 1}));
    assert_eq!(
        change["edits"],
        json!([
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
             "newText": "-- bellows: no-transaction\n"},
            {"range": {"start": {"line": 2, "character": 21}, "end": {"line": 2, "character": 21}},
             "newText": " CONCURRENTLY"}
        ]),
        "{action}"
    );

    // An edit: the diagnostics follow it. The type change is a widening of the column
    // 0001 created (no finding: the schema was replayed from the migrations before).
    let second = "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);\nALTER TABLE users ADD CONSTRAINT users_name_check CHECK (name <> '');\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": second}]}),
    );
    let diags = c.notification("textDocument/publishDiagnostics");
    // (Widening a column is an expand, a constraint a contract: mixed in one migration.)
    assert_eq!(
        codes(&diags),
        ["constraint-without-not-valid", "mixed-phases"],
        "{diags}"
    );
    assert_eq!(diags["params"]["version"], json!(2));
    let d1 = diags["params"]["diagnostics"][0].clone();
    assert_eq!(d1["range"]["start"], json!({"line": 2, "character": 0}));

    // Hover: the rule's page, as `bellows explain` prints it.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 15}}),
    );
    let explain = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(["explain", "constraint-without-not-valid"])
        .output()
        .unwrap();
    assert_eq!(
        hover["result"]["contents"]["value"].as_str(),
        Some(String::from_utf8_lossy(&explain.stdout).as_ref()),
        "{hover}"
    );
    assert_eq!(hover["result"]["contents"]["kind"], json!("markdown"));
    // Nothing to say where there is no finding.
    let none = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 3}}),
    );
    assert_eq!(none["result"], Value::Null, "{none}");

    // The constraint's fix: NOT VALID here, and a new migration with the validation.
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}},
            "context": {"diagnostics": [d1]}
        }),
    );
    let action = &actions["result"][0];
    let ops = action["edit"]["documentChanges"]
        .as_array()
        .expect("changes");
    let line = "ALTER TABLE users ADD CONSTRAINT users_name_check CHECK (name <> '')";
    assert_eq!(
        ops[0],
        json!({"textDocument": {"uri": uri, "version": 2}, "edits": [
            {"range": {"start": {"line": 2, "character": line.len()}, "end": {"line": 2, "character": line.len()}},
             "newText": " NOT VALID"}
        ]}),
        "{action}"
    );
    let new_uri = url::Url::from_file_path(d.join("migrations/0003_validate_users_name_check.sql"))
        .unwrap()
        .to_string();
    assert_eq!(ops[1]["kind"], json!("create"), "{action}");
    assert_eq!(ops[1]["uri"], json!(new_uri));
    assert_eq!(
        ops[2],
        json!({"textDocument": {"uri": new_uri, "version": null}, "edits": [
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
             "newText": "ALTER TABLE users VALIDATE CONSTRAINT users_name_check;\n"}
        ]}),
        "{action}"
    );

    // An unknown request is an error, not a crash.
    let unknown = c.request("textDocument/definition", json!({}));
    assert_eq!(unknown["error"]["code"], json!(-32601), "{unknown}");

    let shutdown = c.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null, "{shutdown}");
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), Some(0));
    // The server never wrote to the files.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "SELECT 1;\n");
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Client::start(tmp.path());
    c.initialize(tmp.path());
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), Some(1));
}

#[test]
fn an_edit_to_an_earlier_migration_on_disk_is_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().canonicalize().unwrap();
    write(&d, "bellows.toml", "dialect = \"postgres\"\n");
    write(
        &d,
        "migrations/0001_init.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100));\n",
    );
    let file = d.join("migrations/0002_widen.sql");
    write(&d, "migrations/0002_widen.sql", "");
    let uri = url::Url::from_file_path(&file).unwrap().to_string();
    let text = "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n";

    let mut c = Client::start(&d);
    c.initialize(&d);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "sql", "version": 1, "text": text}}),
    );
    let diags = c.notification("textDocument/publishDiagnostics");
    assert!(codes(&diags).is_empty(), "{diags}");

    // 0001 now makes the column an integer: the same change is no longer a widening.
    write(
        &d,
        "migrations/0001_init.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, name integer, extra text);\n",
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    let diags = c.notification("textDocument/publishDiagnostics");
    assert_eq!(codes(&diags), ["change-column-type"], "{diags}");

    let _ = c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), Some(0));
}
