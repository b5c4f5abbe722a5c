//! Scratch databases on the real servers for tests: created fresh, dropped on drop.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// A scratch database on one server, dropped when it goes out of scope.
pub struct Scratch {
    pub engine: Engine,
    pub name: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Engine {
    Postgres,
    Mariadb,
}

/// A temporary project directory whose `bellows.toml` names the engine's dialect, followed
/// by `extra` (more keys and tables).
pub fn project_dir(engine: Engine, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let dialect = match engine {
        Engine::Postgres => "postgres",
        Engine::Mariadb => "mysql",
    };
    std::fs::write(
        dir.path().join("bellows.toml"),
        format!("dialect = \"{dialect}\"\n{extra}"),
    )
    .expect("write bellows.toml");
    dir
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Scratch {
    pub fn new(engine: Engine) -> Scratch {
        let name = format!(
            "bellows_t{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let s = Scratch { engine, name };
        s.admin(&format!("CREATE DATABASE {}", s.name));
        s
    }

    pub fn admin(&self, sql: &str) {
        let out = match self.engine {
            Engine::Postgres => psql("postgres").args(["-c", sql]).output(),
            Engine::Mariadb => mariadb(None).args(["-e", sql]).output(),
        }
        .expect("the database client runs");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs a script; Err(server message) when the server rejects it.
    pub fn run(&self, file: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(file).expect("script is readable");
        let out = match self.engine {
            Engine::Postgres => psql(&self.name)
                .args([
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-v",
                    "batch_start=0",
                    "-v",
                    "batch_end=1000",
                    "-f",
                ])
                .arg(file)
                .output(),
            Engine::Mariadb => {
                let text = text
                    .replace(":batch_start", "0")
                    .replace(":batch_end", "1000");
                let mut child = mariadb(Some(&self.name))
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("mariadb client runs");
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("piped stdin")
                    .write_all(text.as_bytes())
                    .expect("write script");
                child.wait_with_output()
            }
        }
        .expect("the database client runs");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Scratch {
    /// A URL for bellows: `postgres://…/<name>` or `mysql://…/<name>`.
    pub fn url(&self) -> String {
        match self.engine {
            Engine::Postgres => format!(
                "postgres://{}@{}:{}/{}",
                env_or("PGUSER", "postgres"),
                env_or("PGHOST", "127.0.0.1"),
                env_or("PGPORT", "5432"),
                self.name
            ),
            Engine::Mariadb => format!(
                "mysql://root@{}:{}/{}",
                env_or("MYSQL_HOST", "127.0.0.1"),
                env_or("MYSQL_PORT", "3306"),
                self.name
            ),
        }
    }

    /// Runs SQL in the scratch database with the command-line client and returns what
    /// it printed (tab-separated, no headers); panics when the server rejects it.
    pub fn sql(&self, sql: &str) -> String {
        let out = match self.engine {
            Engine::Postgres => psql(&self.name)
                .args(["-At", "-F", "\t", "-c", sql])
                .output(),
            Engine::Mariadb => mariadb(Some(&self.name))
                .args(["-N", "-B", "-e", sql])
                .output(),
        }
        .expect("the database client runs");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let sql = match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Engine::Mariadb => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        self.admin(&sql);
    }
}

pub fn psql(db: &str) -> Command {
    let mut c = Command::new("psql");
    c.args([
        "-X",
        "-q",
        "-h",
        &env_or("PGHOST", "127.0.0.1"),
        "-p",
        &env_or("PGPORT", "5432"),
        "-U",
        &env_or("PGUSER", "postgres"),
        "-d",
        db,
    ]);
    c
}

pub fn mariadb(db: Option<&str>) -> Command {
    let mut c = Command::new("mariadb");
    c.args([
        "-h",
        &env_or("MYSQL_HOST", "127.0.0.1"),
        "-P",
        &env_or("MYSQL_PORT", "3306"),
        "-u",
        "root",
    ]);
    if let Some(db) = db {
        c.arg(db);
    }
    c
}
