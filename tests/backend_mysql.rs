//! The MySQL/MariaDB backend against the real local MariaDB (127.0.0.1:3306, root, no
//! password; MYSQL_HOST / MYSQL_PORT override): every test makes its own scratch database.

mod common;

use bellows::runner::mysql::MyBackend;
use bellows::runner::url::DbUrl;
use bellows::runner::{Backend, DbErrorKind, Snapshot, Value};
use common::db::{Engine, Scratch};
use std::time::{Duration, Instant};

async fn connect_url(url: &str) -> MyBackend {
    let url = DbUrl::parse(url).expect("the scratch URL parses");
    MyBackend::connect(&url, "bellows-test")
        .await
        .expect("connects to the local MariaDB")
}

async fn connect(s: &Scratch) -> MyBackend {
    connect_url(&s.url()).await
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

#[tokio::test]
async fn execute_returns_affected_rows_for_any_statement() {
    let s = Scratch::new(Engine::Mariadb);
    let mut b = connect(&s).await;
    assert_eq!(
        b.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        b.execute("INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)")
            .await
            .unwrap(),
        3
    );
    // Rows matched, as on PostgreSQL, even when the value does not change.
    assert_eq!(
        b.execute("UPDATE t SET v = 0 WHERE id <= 2").await.unwrap(),
        2
    );
    assert_eq!(
        b.execute_with(
            "UPDATE t SET v = ? WHERE id >= ?",
            &[Value::Int(7), Value::Int(2)]
        )
        .await
        .unwrap(),
        2
    );
    assert_eq!(
        b.execute_with("DELETE FROM t WHERE id = ?", &[Value::Int(3)])
            .await
            .unwrap(),
        1
    );
    assert_eq!(b.execute("SET @marker = 1").await.unwrap(), 0);
    b.execute("START TRANSACTION").await.unwrap();
    assert_eq!(b.execute("DELETE FROM t").await.unwrap(), 2);
    b.execute("ROLLBACK").await.unwrap();
    assert_eq!(
        b.query("SELECT COUNT(*) FROM t", &[]).await.unwrap(),
        vec![some(&["2"])]
    );
    assert_eq!(
        b.execute("ALTER TABLE t ADD INDEX t_v (v), ALGORITHM=INPLACE, LOCK=NONE")
            .await
            .unwrap(),
        0
    );
    assert_eq!(b.execute("LOCK TABLES t WRITE").await.unwrap(), 0);
    assert_eq!(b.execute("UNLOCK TABLES").await.unwrap(), 0);
    // No parameters: the text protocol, like execute.
    assert_eq!(b.execute_with("COMMIT", &[]).await.unwrap(), 0);
    assert!(b.engine().starts_with("mariadb-"), "{}", b.engine());
    b.close().await.unwrap();
}

#[tokio::test]
async fn server_errors_keep_their_number_and_message() {
    let s = Scratch::new(Engine::Mariadb);
    let mut b = connect(&s).await;
    let err = b.execute("SELEC 1").await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Other);
    assert_eq!(err.code.as_deref(), Some("1064"));
    assert!(err.message.contains("SQL syntax"), "{}", err.message);

    let err = b
        .query("SELECT * FROM no_such_table WHERE id = ?", &[Value::Int(1)])
        .await
        .unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Other);
    assert_eq!(err.code.as_deref(), Some("1146"));
    assert!(err.message.contains("no_such_table"), "{}", err.message);
    assert_eq!(err.to_string(), format!("{} (1146)", err.message));

    // The session survives server errors.
    assert_eq!(b.query("SELECT 1", &[]).await.unwrap(), vec![some(&["1"])]);
    b.close().await.unwrap();
}

#[tokio::test]
async fn a_killed_session_is_a_connection_error() {
    let s = Scratch::new(Engine::Mariadb);
    let mut victim = connect(&s).await;
    let mut killer = connect(&s).await;
    let id = victim.connection_id();
    killer
        .execute(&format!("KILL CONNECTION {id}"))
        .await
        .unwrap();
    let err = victim.query("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Connection, "{err:?}");
    killer.close().await.unwrap();
}

#[tokio::test]
async fn lock_waits_time_out_as_lock_timeouts() {
    let s = Scratch::new(Engine::Mariadb);
    s.sql("CREATE TABLE t (id int PRIMARY KEY, v int) ENGINE=InnoDB; INSERT INTO t VALUES (1, 0), (2, 0)");
    let mut holder = connect(&s).await;
    let mut waiter = connect(&s).await;
    waiter.set_lock_timeout(1000).await.unwrap();

    // A row lock: innodb_lock_wait_timeout.
    holder.execute("START TRANSACTION").await.unwrap();
    holder
        .query("SELECT * FROM t WHERE id = 1 FOR UPDATE", &[])
        .await
        .unwrap();
    let started = Instant::now();
    let err = waiter
        .execute("UPDATE t SET v = 1 WHERE id = 1")
        .await
        .unwrap_err();
    assert_eq!(err.kind, DbErrorKind::LockTimeout, "{err:?}");
    assert_eq!(err.code.as_deref(), Some("1205"));
    assert!(err.is_lock_timeout());
    // A metadata lock: the open transaction has read `t`, so DDL waits (lock_wait_timeout).
    let err = waiter
        .execute("ALTER TABLE t ADD COLUMN w int")
        .await
        .unwrap_err();
    assert_eq!(err.kind, DbErrorKind::LockTimeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    holder.execute("ROLLBACK").await.unwrap();

    // LOCK TABLES … WRITE blocks even reads, through the metadata lock.
    holder.execute("LOCK TABLES t WRITE").await.unwrap();
    let err = waiter.query("SELECT * FROM t", &[]).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::LockTimeout, "{err:?}");
    holder.execute("UNLOCK TABLES").await.unwrap();

    // Once free, the same DDL goes through.
    waiter
        .execute("ALTER TABLE t ADD COLUMN w int, ALGORITHM=INPLACE, LOCK=NONE")
        .await
        .unwrap();
    holder.close().await.unwrap();
    waiter.close().await.unwrap();
}

#[tokio::test]
async fn lock_timeouts_are_whole_seconds_and_at_least_one() {
    let s = Scratch::new(Engine::Mariadb);
    let mut b = connect(&s).await;
    let read = "SELECT @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout";
    b.set_lock_timeout(1500).await.unwrap();
    assert_eq!(b.query(read, &[]).await.unwrap(), vec![some(&["2", "2"])]);
    b.set_lock_timeout(0).await.unwrap();
    assert_eq!(b.query(read, &[]).await.unwrap(), vec![some(&["1", "1"])]);
    b.set_lock_timeout(3000).await.unwrap();
    assert_eq!(b.query(read, &[]).await.unwrap(), vec![some(&["3", "3"])]);
    b.close().await.unwrap();
}

#[tokio::test]
async fn advisory_locks_exclude_other_sessions_and_name_the_holder() {
    let s = Scratch::new(Engine::Mariadb);
    let mut a = connect(&s).await;
    let mut b = connect(&s).await;
    // GET_LOCK names are server-wide: make them unique to this test's database.
    let name = format!("bellows:{}", s.name);
    let long = format!("bellows:{}:{}", s.name, "x".repeat(80));
    for name in [&name, &long] {
        assert!(a.try_lock(name).await.unwrap());
        assert!(!b.try_lock(name).await.unwrap());
        let holder = b.lock_holder(name).await.unwrap().expect("a holds it");
        let expected = format!("connection {} (root@", a.connection_id());
        assert!(holder.starts_with(&expected), "{holder}");
        assert!(holder.ends_with("s)"), "{holder}");
        // Releasing someone else's lock is refused.
        assert!(b.unlock(name).await.is_err());
        a.unlock(name).await.unwrap();
        assert_eq!(b.lock_holder(name).await.unwrap(), None);
        assert!(b.try_lock(name).await.unwrap());
        b.unlock(name).await.unwrap();
    }
    // Releasing a lock nobody holds is harmless.
    a.unlock(&name).await.unwrap();
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test]
async fn query_reads_every_type_as_text_in_both_protocols() {
    let s = Scratch::new(Engine::Mariadb);
    s.sql(
        "CREATE TABLE v (id int PRIMARY KEY, n bigint, u bigint unsigned, t varchar(20), \
         dt datetime, dt6 datetime(6), d date, tm time(3), amount decimal(10,2), f double, \
         nul int, flag tinyint(1)); \
         INSERT INTO v VALUES (1, -5, 18446744073709551615, 'héllo', '2024-01-02 03:04:05', \
         '2024-01-02 03:04:05.123456', '2024-02-29', '-838:59:58.500', 12.50, 1.5, NULL, 1)",
    );
    let mut b = connect(&s).await;
    let columns = "SELECT n, u, t, dt, dt6, d, tm, amount, f, nul, flag FROM v";
    let text = b.query(columns, &[]).await.unwrap();
    let binary = b
        .query(&format!("{columns} WHERE id = ?"), &[Value::Int(1)])
        .await
        .unwrap();
    let mut expected = some(&[
        "-5",
        "18446744073709551615",
        "héllo",
        "2024-01-02 03:04:05",
        "2024-01-02 03:04:05.123456",
        "2024-02-29",
        "-838:59:58.500",
        "12.50",
        "1.5",
    ]);
    expected.extend([None, Some("1".to_owned())]);
    assert_eq!(text, vec![expected.clone()]);
    assert_eq!(binary, vec![expected]);

    let rows = b
        .query(
            "SELECT ?, ?, ?, ?, CAST(? AS DATETIME)",
            &[
                Value::Int(42),
                Value::Text("it's".into()),
                Value::Null,
                Value::Bool(true),
                Value::Text("2026-11-27 10:00:00".into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![vec![
            Some("42".to_owned()),
            Some("it's".to_owned()),
            None,
            Some("1".to_owned()),
            Some("2026-11-27 10:00:00".to_owned()),
        ]]
    );
    assert!(b
        .query("SELECT 1 FROM v WHERE 0", &[])
        .await
        .unwrap()
        .is_empty());
    b.close().await.unwrap();
}

const SCHEMA: &str = "
CREATE TABLE parent (id int PRIMARY KEY, code varchar(10) NOT NULL, UNIQUE KEY parent_code (code));
CREATE TABLE child (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  parent_id int NOT NULL,
  name varchar(40) NOT NULL DEFAULT 'it''s',
  note varchar(20) DEFAULT NULL,
  plain varchar(20),
  word varchar(10) DEFAULT 'NULL',
  qty int NOT NULL DEFAULT 0,
  created datetime DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  twice int GENERATED ALWAYS AS (qty * 2) VIRTUAL,
  tag varchar(10) COLLATE utf8mb4_bin,
  memo varchar(10) DEFAULT 'a\\nb',
  KEY child_name (name(8), qty DESC),
  CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE,
  CONSTRAINT qty_positive CHECK (qty >= 0)
);
CREATE TABLE bellows_history (id int PRIMARY KEY, parent_id int, CHECK (id > 0),
  FOREIGN KEY (parent_id) REFERENCES parent (id));
CREATE TRIGGER history_bi BEFORE INSERT ON bellows_history FOR EACH ROW SET NEW.id = NEW.id;
CREATE VIEW child_names AS SELECT id, name FROM child WHERE qty > 0;
CREATE FUNCTION double_it(x int) RETURNS int DETERMINISTIC RETURN x * 2;
CREATE PROCEDURE touch(IN p int) UPDATE child SET qty = qty WHERE id = p;
CREATE TRIGGER child_bi BEFORE INSERT ON child FOR EACH ROW SET NEW.qty = COALESCE(NEW.qty, 0);
";

const DROP: &str = "
DROP VIEW child_names; DROP FUNCTION double_it; DROP PROCEDURE touch;
DROP TABLE child; DROP TABLE bellows_history; DROP TABLE parent;
";

async fn snapshot(b: &mut MyBackend) -> Snapshot {
    b.snapshot(&["bellows_history"]).await.unwrap()
}

#[tokio::test]
async fn snapshot_covers_every_kind_and_normalises_defaults() {
    let s = Scratch::new(Engine::Mariadb);
    s.sql(SCHEMA);
    let mut b = connect(&s).await;
    let snap = snapshot(&mut b).await;
    let text = snap.render();
    for line in [
        "column child.id bigint(20) not null auto_increment",
        "column child.name varchar(40) not null default 'it''s'",
        // DEFAULT NULL and no default read the same; the string 'NULL' keeps its quotes.
        "column child.note varchar(20)",
        "column child.plain varchar(20)",
        "column child.word varchar(10) default 'NULL'",
        "column child.qty int(11) not null default 0",
        "column child.created datetime default current_timestamp() on update current_timestamp()",
        "column child.twice int(11) generated always as (`qty` * 2) virtual",
        "column child.tag varchar(10) collate utf8mb4_bin",
        // A newline in a default stays escaped: one item, one line.
        "column child.memo varchar(10) default 'a\\nb'",
        "index child.PRIMARY unique btree (id)",
        "index child.child_name btree (name(8), qty desc)",
        "index parent.parent_code unique btree (code)",
        "constraint child.child_parent foreign key (parent_id) references parent (id) on update RESTRICT on delete CASCADE",
        "constraint child.qty_positive check (`qty` >= 0)",
        "view child_names select `child`.`id` AS `id`,`child`.`name` AS `name` from `child` where `child`.`qty` > 0",
        "function double_it (in x int(11)) returns int(11) deterministic contains sql sql security definer: RETURN x * 2",
        "procedure touch (in p int(11)) contains sql sql security definer: UPDATE child SET qty = qty WHERE id = p",
        "trigger child.child_bi before insert for each row order 1: SET NEW.qty = COALESCE(NEW.qty, 0)",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("table child engine=InnoDB collate=")),
        "{text}"
    );
    // Column positions, counters and the database's own name stay out.
    assert!(!text.contains(&s.name), "{text}");
    assert!(!text.contains("AUTO_INCREMENT="), "{text}");
    // The excluded table and everything hanging off it.
    assert!(!text.contains("bellows_history"), "{text}");
    let all = b.snapshot(&[]).await.unwrap().render();
    assert!(all.contains("table bellows_history "), "{all}");
    assert!(all.contains("trigger bellows_history.history_bi "), "{all}");
    assert!(all.contains("index bellows_history.PRIMARY "), "{all}");
    b.close().await.unwrap();
}

#[tokio::test]
async fn snapshot_is_stable_and_sees_a_missing_index() {
    let s = Scratch::new(Engine::Mariadb);
    s.sql(SCHEMA);
    let mut b = connect(&s).await;
    let first = snapshot(&mut b).await;
    // Data (and the AUTO_INCREMENT counter it moves) changes nothing.
    s.sql("INSERT INTO parent VALUES (1, 'a'); INSERT INTO child (parent_id, name) VALUES (1, 'x'), (1, 'y')");
    assert_eq!(snapshot(&mut b).await, first);
    // Dropping everything and running the same DDL again gives the same snapshot.
    s.sql(DROP);
    s.sql(SCHEMA);
    let again = snapshot(&mut b).await;
    assert_eq!(again.render(), first.render());
    assert_eq!(again, first);
    // Moving a column changes nothing (positions are left out) …
    s.sql("ALTER TABLE child MODIFY plain varchar(20) AFTER id");
    assert_eq!(snapshot(&mut b).await, first);
    // … a missing index is exactly one item less.
    s.sql("ALTER TABLE child DROP INDEX child_name");
    let without = snapshot(&mut b).await;
    let gone: Vec<String> = first
        .items
        .iter()
        .filter(|i| !without.items.contains(i))
        .map(|i| format!("{} {}", i.kind, i.name))
        .collect();
    assert_eq!(gone, vec!["index child.child_name".to_owned()]);
    assert_eq!(without.items.len() + 1, first.items.len());
    b.close().await.unwrap();
}

#[tokio::test]
async fn a_failed_connect_never_shows_the_password() {
    let password = "Sup3r-s3cret-pw";
    // A closed port.
    let url = DbUrl::parse(&format!("mysql://root:{password}@127.0.0.1:1/nothing")).unwrap();
    let err = match MyBackend::connect(&url, "bellows-test").await {
        Ok(_) => panic!("port 1 answered"),
        Err(e) => e,
    };
    assert_eq!(err.kind, DbErrorKind::Connection, "{err:?}");
    assert!(!err.to_string().contains(password), "{err}");
    assert!(!format!("{err:?}").contains(password), "{err:?}");
    assert!(err.message.contains("127.0.0.1:1"), "{err}");

    // A wrong password on the real server.
    let s = Scratch::new(Engine::Mariadb);
    let wrong = s.url().replacen("root@", &format!("root:{password}@"), 1);
    let url = DbUrl::parse(&wrong).unwrap();
    let err = match MyBackend::connect(&url, "bellows-test").await {
        Ok(_) => panic!("a wrong password was accepted"),
        Err(e) => e,
    };
    assert_eq!(err.code.as_deref(), Some("1045"), "{err:?}");
    assert!(!format!("{err:?}").contains(password), "{err:?}");
    assert!(err.message.contains("***"), "{err}");
}

#[tokio::test]
async fn the_mariadb_scheme_connects_and_names_the_engine() {
    let s = Scratch::new(Engine::Mariadb);
    let url = s.url().replacen("mysql://", "mariadb://", 1);
    let mut b = connect_url(&url).await;
    let version = b.engine().strip_prefix("mariadb-").expect("MariaDB");
    assert!(
        !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "{}",
        b.engine()
    );
    assert!(b.is_mariadb());
    assert_eq!(
        b.query("SELECT DATABASE()", &[]).await.unwrap(),
        vec![some(&[&s.name])]
    );
    b.close().await.unwrap();
}

#[tokio::test]
async fn ssl_mode_is_honoured() {
    let s = Scratch::new(Engine::Mariadb);
    let bad = DbUrl::parse(&format!("{}?ssl-mode=sometimes", s.url())).unwrap();
    let err = match MyBackend::connect(&bad, "bellows-test").await {
        Ok(_) => panic!("an unknown ssl-mode was accepted"),
        Err(e) => e,
    };
    assert_eq!(err.kind, DbErrorKind::Other);
    assert!(err.message.contains("VERIFY_IDENTITY"), "{err}");

    // PREFERRED (the default) never upgrades: plain text either way.
    let plain = connect_url(&format!("{}?ssl-mode=PREFERRED", s.url())).await;
    plain.close().await.unwrap();

    let have_ssl = s.sql("SHOW VARIABLES LIKE 'have_ssl'");
    let required = DbUrl::parse(&format!("{}?sslmode=REQUIRED", s.url())).unwrap();
    let result = MyBackend::connect(&required, "bellows-test").await;
    if have_ssl.ends_with("YES") {
        let b = result.expect("TLS without verification connects");
        b.close().await.unwrap();
    } else {
        let err = match result {
            Ok(_) => panic!("REQUIRED connected to a server without TLS"),
            Err(e) => e,
        };
        assert_eq!(err.kind, DbErrorKind::Connection, "{err:?}");
        assert!(err.message.contains("TLS"), "{err}");
    }
}

#[tokio::test]
async fn applications_need_performance_schema() {
    let s = Scratch::new(Engine::Mariadb);
    let mut b = connect(&s).await;
    let enabled = s.sql("SELECT @@GLOBAL.performance_schema");
    let other = MyBackend::connect(&DbUrl::parse(&s.url()).unwrap(), "bellows-apps-probe")
        .await
        .unwrap();
    let result = b.applications().await;
    if enabled == "1" {
        let apps = result.expect("performance_schema is on");
        assert!(apps.iter().any(|a| a == "bellows-apps-probe"), "{apps:?}");
    } else {
        let err = result.expect_err("performance_schema is off");
        assert_eq!(err.kind, DbErrorKind::Other);
        assert!(err.message.contains("performance_schema"), "{err}");
        assert!(err.message.contains("--deployed"), "{err}");
    }
    other.close().await.unwrap();
    b.close().await.unwrap();
}
