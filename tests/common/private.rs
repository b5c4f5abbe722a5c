//! A private PostgreSQL or MariaDB server for one test: its own data directory and port, so
//! a test may restart it without disturbing the shared servers other tests use. Stopped and
//! removed on drop.
#![allow(dead_code)]

use super::db::Engine;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateServer {
    pub engine: Engine,
    pub port: u16,
    dir: tempfile::TempDir,
    /// MariaDB runs as our child; PostgreSQL is managed by pg_ctl.
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn pg_bin(tool: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    versions.sort();
    versions
        .last()
        .expect("a PostgreSQL version")
        .join("bin")
        .join(tool)
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root).
fn pg_tool(tool: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(pg_bin(tool));
        c
    } else {
        Command::new(pg_bin(tool))
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PrivateServer {
    pub fn start(engine: Engine) -> PrivateServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut s = PrivateServer {
            engine,
            port,
            dir,
            child: None,
        };
        match engine {
            Engine::Postgres => {
                if is_root() {
                    run(
                        {
                            let mut c = Command::new("chown");
                            c.args(["postgres:postgres"]).arg(s.dir.path());
                            c
                        },
                        "chown",
                    );
                }
                let mut c = pg_tool("initdb");
                c.args(["-A", "trust", "-U", "postgres", "-D"])
                    .arg(s.data());
                run(c, "initdb");
            }
            Engine::Mariadb => {
                let mut c = Command::new("mariadb-install-db");
                // Its own tmpdir: bootstraps running at once collide on temporary table
                // names in a shared /tmp.
                c.arg("--no-defaults")
                    .arg(format!("--datadir={}", s.data().display()))
                    .arg(format!("--tmpdir={}", s.dir.path().display()))
                    .arg("--auth-root-authentication-method=normal")
                    .arg("--skip-test-db");
                if is_root() {
                    c.arg("--user=root");
                }
                run(c, "mariadb-install-db");
            }
        }
        s.up();
        s
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts the server and waits until it answers.
    pub fn up(&mut self) {
        match self.engine {
            Engine::Postgres => {
                let mut c = pg_tool("pg_ctl");
                c.arg("-D")
                    .arg(self.data())
                    .arg("-l")
                    .arg(self.dir.path().join("log"))
                    .arg("-o")
                    .arg(format!(
                        "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                        self.port,
                        self.socket_dir().display()
                    ))
                    .args(["-w", "start"]);
                run(c, "pg_ctl start");
            }
            Engine::Mariadb => {
                let mut c = Command::new("/usr/sbin/mariadbd");
                c.arg("--no-defaults")
                    .arg(format!("--datadir={}", self.data().display()))
                    .arg(format!("--port={}", self.port))
                    .arg(format!("--tmpdir={}", self.dir.path().display()))
                    .arg("--bind-address=127.0.0.1")
                    .arg(format!(
                        "--socket={}/mysqld.sock",
                        self.dir.path().display()
                    ))
                    .arg(format!(
                        "--pid-file={}/mysqld.pid",
                        self.dir.path().display()
                    ))
                    .arg("--innodb-buffer-pool-size=32M")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                if is_root() {
                    c.arg("--user=root");
                }
                self.child = Some(c.spawn().expect("mariadbd starts"));
                let end = Instant::now() + Duration::from_secs(60);
                while Instant::now() < end {
                    if self.client(&["-e", "SELECT 1"]).status.success() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                panic!("the private MariaDB did not come up");
            }
        }
    }

    /// Stops the server: fast shutdown (sessions are ended), as a restart does.
    pub fn down(&mut self) {
        match self.engine {
            Engine::Postgres => {
                let mut c = pg_tool("pg_ctl");
                c.arg("-D")
                    .arg(self.data())
                    .args(["-m", "fast", "-w", "stop"]);
                run(c, "pg_ctl stop");
            }
            Engine::Mariadb => {
                if let Some(mut child) = self.child.take() {
                    let _ = Command::new("kill")
                        .args(["-TERM", &child.id().to_string()])
                        .status();
                    let _ = child.wait();
                }
            }
        }
    }

    pub fn restart(&mut self) {
        self.down();
        self.up();
    }

    pub fn url(&self, db: &str) -> String {
        match self.engine {
            Engine::Postgres => format!("postgres://postgres@127.0.0.1:{}/{db}", self.port),
            Engine::Mariadb => format!("mysql://root@127.0.0.1:{}/{db}", self.port),
        }
    }

    fn client(&self, args: &[&str]) -> std::process::Output {
        let mut c = match self.engine {
            Engine::Postgres => {
                let mut c = Command::new("psql");
                c.args([
                    "-X",
                    "-q",
                    "-At",
                    "-F",
                    "\t",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                ])
                .args(["-p", &self.port.to_string()]);
                c
            }
            Engine::Mariadb => {
                let mut c = Command::new("mariadb");
                c.args(["-N", "-B", "-h", "127.0.0.1", "-u", "root"])
                    .args(["-P", &self.port.to_string()]);
                c
            }
        };
        c.args(args).output().expect("the client runs")
    }

    /// Runs SQL in `db`; panics when the server rejects it.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        let out = match self.engine {
            Engine::Postgres => self.client(&["-d", db, "-c", sql]),
            Engine::Mariadb => self.client(&[db, "-e", sql]),
        };
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// Creates a database.
    pub fn create_db(&self, db: &str) {
        let admin = match self.engine {
            Engine::Postgres => "postgres",
            Engine::Mariadb => "mysql",
        };
        self.sql(admin, &format!("CREATE DATABASE {db}"));
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        match self.engine {
            Engine::Postgres => {
                let mut c = pg_tool("pg_ctl");
                c.arg("-D")
                    .arg(self.data())
                    .args(["-m", "immediate", "stop"]);
                let _ = c.output();
            }
            Engine::Mariadb => {
                if let Some(mut child) = self.child.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}
