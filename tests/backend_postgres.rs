//! The PostgreSQL backend against the real local server (127.0.0.1:5432, user postgres,
//! trust authentication; PGHOST / PGPORT / PGUSER override): every test makes its own
//! scratch database.

mod common;

use bellows::runner::postgres::PgBackend;
use bellows::runner::url::DbUrl;
use bellows::runner::{Backend, DbErrorKind, Snapshot, Value};
use common::db::{Engine, Scratch};
use std::time::{Duration, Instant};

async fn connect_url(url: &str) -> PgBackend {
    let url = DbUrl::parse(url).expect("the scratch URL parses");
    PgBackend::connect(&url, "bellows-test")
        .await
        .expect("connects to the local PostgreSQL")
}

async fn connect(s: &Scratch) -> PgBackend {
    connect_url(&s.url()).await
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

async fn one(b: &mut PgBackend, sql: &str) -> String {
    let rows = b.query(sql, &[]).await.expect("the query runs");
    rows[0][0].clone().expect("not NULL")
}

#[tokio::test]
async fn execute_returns_affected_rows_for_any_statement() {
    let s = Scratch::new(Engine::Postgres);
    let mut b = connect(&s).await;
    assert_eq!(
        b.execute("CREATE TABLE t (id int PRIMARY KEY, v smallint NOT NULL)")
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
    assert_eq!(
        b.execute("UPDATE t SET v = 0 WHERE id <= 2").await.unwrap(),
        2
    );
    // Int parameters into int4 and int2 columns: sent as text, typed by the server.
    assert_eq!(
        b.execute_with(
            "UPDATE t SET v = $1 WHERE id >= $2",
            &[Value::Int(7), Value::Int(2)]
        )
        .await
        .unwrap(),
        2
    );
    assert_eq!(
        b.execute_with("DELETE FROM t WHERE id = $1", &[Value::Int(3)])
            .await
            .unwrap(),
        1
    );
    assert_eq!(b.execute("SET statement_timeout = '5s'").await.unwrap(), 0);
    assert_eq!(b.execute("BEGIN").await.unwrap(), 0);
    assert_eq!(b.execute("DELETE FROM t").await.unwrap(), 2);
    assert_eq!(b.execute("ROLLBACK").await.unwrap(), 0);
    assert_eq!(one(&mut b, "SELECT count(*) FROM t").await, "2");
    assert_eq!(b.execute("-- only a comment").await.unwrap(), 0);

    // CONCURRENTLY cannot run in a transaction block, nor as a prepared statement.
    assert_eq!(
        b.execute("CREATE INDEX CONCURRENTLY t_v ON t (v)")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass"),
        "t"
    );
    assert_eq!(b.execute("DROP INDEX CONCURRENTLY t_v").await.unwrap(), 0);
}

#[tokio::test]
async fn session_reports_engine_and_sets_its_options() {
    let s = Scratch::new(Engine::Postgres);
    let mut b = connect(&s).await;
    let version = s.sql("SHOW server_version");
    let version = version.split_whitespace().next().unwrap();
    assert_eq!(b.engine(), format!("postgresql-{version}"));
    assert_eq!(one(&mut b, "SHOW application_name").await, "bellows-test");
    let number: u32 = s.sql("SHOW server_version_num").parse().unwrap();
    if number >= 140_000 {
        assert_eq!(
            one(&mut b, "SHOW client_connection_check_interval").await,
            "1s"
        );
    }
    // An application_name in the URL wins.
    let mut named = connect_url(&format!("{}?application_name=deploy-7", s.url())).await;
    assert_eq!(one(&mut named, "SHOW application_name").await, "deploy-7");
}

#[tokio::test]
async fn statement_errors_carry_the_server_message() {
    let s = Scratch::new(Engine::Postgres);
    let mut b = connect(&s).await;
    let err = b.execute("SELECT * FROM missing_table").await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Other);
    assert_eq!(err.code.as_deref(), Some("42P01"));
    assert_eq!(err.message, "relation \"missing_table\" does not exist");

    b.execute("CREATE TABLE u (id int PRIMARY KEY)")
        .await
        .unwrap();
    b.execute("INSERT INTO u VALUES (1)").await.unwrap();
    let err = b
        .execute_with("INSERT INTO u VALUES ($1)", &[Value::Int(1)])
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("23505"));
    assert!(
        err.message.starts_with("duplicate key value violates unique constraint \"u_pkey\"; DETAIL: Key (id)=(1) already exists."),
        "{}",
        err.message
    );
    // A text parameter the server cannot read as the inferred type.
    let err = b
        .query(
            "SELECT * FROM u WHERE id = $1",
            &[Value::Text("one".into())],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("22P02"), "{err}");
    // The session is usable afterwards.
    assert_eq!(one(&mut b, "SELECT count(*) FROM u").await, "1");
}

#[tokio::test]
async fn a_lock_wait_past_lock_timeout_is_a_lock_timeout() {
    let s = Scratch::new(Engine::Postgres);
    let mut b = connect(&s).await;
    let mut holder = connect(&s).await;
    b.execute("CREATE TABLE t (id int)").await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("LOCK TABLE t IN ACCESS SHARE MODE")
        .await
        .unwrap();

    b.set_lock_timeout(100).await.unwrap();
    assert_eq!(one(&mut b, "SHOW lock_timeout").await, "100ms");
    let started = Instant::now();
    let err = b
        .execute("ALTER TABLE t ADD COLUMN x int")
        .await
        .unwrap_err();
    assert!(err.is_lock_timeout(), "{err:?}");
    assert_eq!(err.code.as_deref(), Some("55P03"));
    assert!(started.elapsed() < Duration::from_secs(3));

    holder.execute("ROLLBACK").await.unwrap();
    b.execute("ALTER TABLE t ADD COLUMN x int").await.unwrap();
}

#[tokio::test]
async fn a_killed_session_is_a_lost_connection() {
    let s = Scratch::new(Engine::Postgres);
    let mut b = connect(&s).await;
    let mut other = connect(&s).await;
    let pid = one(&mut b, "SELECT pg_backend_pid()").await;
    other
        .query("SELECT pg_terminate_backend($1)", &[Value::Text(pid)])
        .await
        .unwrap();
    let err = b.execute("SELECT 1").await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Connection, "{err:?}");
    // The server's FATAL message says why, unless the socket closed before the driver
    // read it (a race in the kernel, not in bellows).
    const WHY: &str = "terminating connection due to administrator command";
    let said_why = err.message.contains(WHY);
    assert!(said_why || err.message == "connection closed", "{err}");
    // It stays lost, and keeps saying why.
    let err = b.query("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Connection, "{err:?}");
    if said_why {
        assert_eq!(err.message, format!("connection closed: {WHY}"));
    }
}

#[tokio::test]
async fn advisory_locks_exclude_other_sessions_and_name_the_holder() {
    let s = Scratch::new(Engine::Postgres);
    let mut first = connect(&s).await;
    let mut second = connect_url(&format!("{}?application_name=bellows-second", s.url())).await;
    let first_pid = one(&mut first, "SELECT pg_backend_pid()").await;
    let second_pid = one(&mut second, "SELECT pg_backend_pid()").await;

    assert_eq!(first.lock_holder("bellows").await.unwrap(), None);
    assert!(first.try_lock("bellows").await.unwrap());
    assert!(!second.try_lock("bellows").await.unwrap());
    // Another name is another lock.
    assert!(second.try_lock("bellows-other").await.unwrap());

    let holder = second.lock_holder("bellows").await.unwrap().unwrap();
    // `user@client address`: the scratch server is reached over TCP at PGHOST.
    let who = format!(
        "{}@{}",
        common::db::env_or("PGUSER", "postgres"),
        common::db::env_or("PGHOST", "127.0.0.1")
    );
    let prefix = format!("pid {first_pid} ({who}, bellows-test, since ");
    assert!(holder.starts_with(&prefix), "{holder}");
    let since = holder
        .strip_prefix(&prefix)
        .and_then(|t| t.strip_suffix(')'))
        .unwrap();
    assert_eq!(since.len(), "2026-11-27 10:00:00".len(), "{holder}");
    // The holder's own session sees itself.
    assert_eq!(
        first.lock_holder("bellows").await.unwrap(),
        Some(holder.clone())
    );

    first.unlock("bellows").await.unwrap();
    assert_eq!(second.lock_holder("bellows").await.unwrap(), None);
    assert!(second.try_lock("bellows").await.unwrap());
    let holder = first.lock_holder("bellows").await.unwrap().unwrap();
    assert!(
        holder.starts_with(&format!("pid {second_pid} ({who}, bellows-second, ")),
        "{holder}"
    );
    // Unlocking a lock not held is harmless.
    first.unlock("bellows").await.unwrap();
    // A dropped session releases its locks.
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !first.try_lock("bellows").await.unwrap() {
        assert!(Instant::now() < deadline, "the lock was never released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn query_reads_common_types_as_text() {
    let s = Scratch::new(Engine::Postgres);
    let mut b = connect(&s).await;
    b.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
        .await
        .unwrap();
    b.execute(
        "CREATE TABLE v (i2 smallint, i4 int, i8 bigint, ok boolean, name text, \
         at timestamptz, n numeric(12, 3), m mood, id uuid, doc jsonb, d date, \
         span interval, f float8, vc varchar(10))",
    )
    .await
    .unwrap();
    assert_eq!(
        b.execute_with(
            "INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            &[
                Value::Int(-2),
                Value::Int(40_000),
                Value::Int(9_000_000_000),
                Value::Bool(true),
                Value::Text("it's".into()),
                Value::Text("2026-11-27 12:00:00.25+02".into()),
                Value::Text("-1234.5".into()),
                Value::Text("happy".into()),
                Value::Text("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11".into()),
                Value::Text(r#"{"a": [1, 2]}"#.into()),
                Value::Text("2024-02-29".into()),
                Value::Text("1 day 02:03:04".into()),
                Value::Text("0.1".into()),
                Value::Null,
            ],
        )
        .await
        .unwrap(),
        1
    );
    let rows = b
        .query(
            "SELECT i2, i4, i8, ok, name, at, n, m, id, doc, d, span, f, vc FROM v \
             WHERE i4 = $1 AND ok = $2 AND name = $3",
            &[
                Value::Int(40_000),
                Value::Bool(true),
                Value::Text("it's".into()),
            ],
        )
        .await
        .unwrap();
    let mut expected = some(&[
        "-2",
        "40000",
        "9000000000",
        "true",
        "it's",
        "2026-11-27 10:00:00.25",
        "-1234.500",
        "happy",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        r#"{"a": [1, 2]}"#,
        "2024-02-29",
        "1 day 02:03:04",
        "0.1",
    ]);
    expected.push(None);
    assert_eq!(rows, vec![expected]);

    // Without parameters, the same decoding (not the simple protocol's `t`).
    assert_eq!(
        b.query(
            "SELECT false, NULL::int, 'x'::name, '2026-01-02 03:04:05'::timestamp, \
             0.000012::numeric, 42::oid, '10.1.2.3/8'::inet, '\\x0aff'::bytea",
            &[]
        )
        .await
        .unwrap(),
        vec![vec![
            Some("false".into()),
            None,
            Some("x".into()),
            Some("2026-01-02 03:04:05".into()),
            Some("0.000012".into()),
            Some("42".into()),
            Some("10.1.2.3/8".into()),
            Some("\\x0aff".into()),
        ]]
    );
    // A NULL parameter matches nothing with `=`, and is NULL as a value.
    assert_eq!(
        b.query("SELECT $1::text IS NULL", &[Value::Null])
            .await
            .unwrap(),
        vec![some(&["true"])]
    );
    // An unreadable type is refused before it runs, with the remedy.
    let err = b.query("SELECT ARRAY[1, 2] AS xs", &[]).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Other);
    assert!(err.message.contains("xs::text"), "{}", err.message);
    assert_eq!(
        b.query("SELECT ARRAY[1, 2]::text", &[]).await.unwrap(),
        vec![some(&["{1,2}"])]
    );
    // RETURNING through query.
    assert_eq!(
        b.query("UPDATE v SET i2 = i2 + $1 RETURNING i2", &[Value::Int(1)])
            .await
            .unwrap(),
        vec![some(&["-1"])]
    );
}

#[tokio::test]
async fn applications_lists_the_other_sessions() {
    let s = Scratch::new(Engine::Postgres);
    let mut b = connect(&s).await;
    let _other = connect_url(&format!("{}?application_name=shop-api-v41", s.url())).await;
    let apps = b.applications().await.unwrap();
    assert!(apps.contains(&"shop-api-v41".to_owned()), "{apps:?}");
    assert!(!apps.contains(&"bellows-test".to_owned()), "{apps:?}");
}

const SCHEMA: &str = "
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text COLLATE \"C\"
);
CREATE SEQUENCE invoice_numbers AS int INCREMENT BY 10 MINVALUE 100 MAXVALUE 100000 CYCLE;
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    qty positive NOT NULL DEFAULT 1,
    status order_status NOT NULL DEFAULT 'new',
    total numeric(10, 2) GENERATED ALWAYS AS (qty * 2.5) STORED,
    shipped boolean NOT NULL DEFAULT false,
    updated_at timestamptz,
    CONSTRAINT orders_qty_check CHECK (qty < 1000)
);
CREATE INDEX orders_open_idx ON orders (customer_id) WHERE NOT shipped;
ALTER TABLE orders ADD CONSTRAINT orders_recent CHECK (updated_at > '2020-01-01') NOT VALID;
CREATE VIEW open_orders AS SELECT id, customer_id FROM orders WHERE NOT shipped;
CREATE MATERIALIZED VIEW order_counts AS SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE RETURN a + b;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE SCHEMA audit;
CREATE TABLE audit.events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
CREATE INDEX events_at ON audit.events (at);
CREATE TABLE bellows_history (id serial PRIMARY KEY, migration text NOT NULL UNIQUE);
CREATE INDEX bellows_history_migration ON bellows_history (migration);
";

const DROP_ALL: &str = "DROP SCHEMA public CASCADE; DROP SCHEMA audit CASCADE; \
                        CREATE SCHEMA public; DROP TYPE IF EXISTS order_status";

async fn snapshot(b: &mut PgBackend) -> Snapshot {
    b.snapshot(&["bellows_history"]).await.expect("snapshot")
}

#[tokio::test]
async fn snapshot_holds_every_kind_of_object_normalised() {
    let s = Scratch::new(Engine::Postgres);
    s.sql(SCHEMA);
    let mut b = connect(&s).await;
    let snap = snapshot(&mut b).await;
    let text = snap.render();
    for line in [
        "table orders",
        "table audit.events",
        "column customers.id bigint not null identity always",
        "column customers.name text collate \"C\"",
        "column orders.id integer not null default nextval('orders_id_seq'::regclass)",
        "column orders.qty positive not null default 1",
        "column orders.status order_status not null default 'new'::order_status",
        "column orders.total numeric(10,2) generated always as (((qty)::numeric * 2.5)) stored",
        "column audit.events.at timestamp with time zone not null default now()",
        "index orders.orders_open_idx CREATE INDEX orders_open_idx ON orders USING btree (customer_id) WHERE (NOT shipped)",
        "index audit.events.events_at CREATE INDEX events_at ON events USING btree (at)",
        "index customers.customers_email_key CREATE UNIQUE INDEX customers_email_key ON customers USING btree (email)",
        "constraint orders.orders_qty_check CHECK (((qty)::integer < 1000))",
        "constraint orders.orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers(id)",
        "constraint orders.orders_recent CHECK ((updated_at > '2020-01-01 00:00:00+00'::timestamp with time zone)) NOT VALID",
        "constraint orders.orders_pkey PRIMARY KEY (id)",
        "enum order_status new, paid, shipped",
        "domain positive integer CHECK ((VALUE > 0))",
        "view open_orders SELECT orders.id, orders.customer_id FROM orders WHERE (NOT orders.shipped);",
        "sequence invoice_numbers as integer increment by 10 minvalue 100 maxvalue 100000 cycle",
        "sequence orders_id_seq as integer increment by 1 minvalue 1 maxvalue 2147483647 owned by orders.id",
        "sequence audit.events_id_seq as bigint increment by 1 minvalue 1 maxvalue 9223372036854775807 owned by audit.events.id",
        "trigger orders.orders_touch CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch()",
        "function add(a integer, b integer) CREATE OR REPLACE FUNCTION public.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN (a + b)",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing line:\n{line}\nin:\n{text}"
        );
    }
    assert!(
        text.contains("function touch() CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $function$ BEGIN NEW.updated_at := now(); RETURN NEW; END $function$"),
        "{text}"
    );
    assert!(
        text.contains("\nmaterialized view order_counts SELECT"),
        "{text}"
    );
    // NOT VALID once, from the server's own definition.
    assert_eq!(text.matches("NOT VALID").count(), 1, "{text}");
    let kinds: std::collections::BTreeSet<&str> =
        snap.items.iter().map(|i| i.kind.as_str()).collect();
    for kind in [
        "table",
        "column",
        "index",
        "constraint",
        "enum",
        "domain",
        "view",
        "materialized view",
        "function",
        "trigger",
        "sequence",
    ] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    // The excluded table and everything that belongs to it are left out.
    assert!(
        !snap
            .items
            .iter()
            .any(|i| i.name.contains("bellows_history")),
        "{text}"
    );
    // Nothing that varies between databases or runs.
    assert!(!text.contains(&s.name), "{text}");
}

#[tokio::test]
async fn snapshot_is_stable_and_survives_a_rebuild() {
    let s = Scratch::new(Engine::Postgres);
    s.sql(SCHEMA);
    let mut b = connect(&s).await;
    let before = snapshot(&mut b).await;
    assert_eq!(snapshot(&mut b).await, before, "two runs differ");

    // The session's own settings do not leak into definitions, and are restored.
    b.execute("SET search_path = audit").await.unwrap();
    b.execute("SET TimeZone = 'Asia/Tokyo'").await.unwrap();
    b.execute("SET DateStyle = 'SQL, DMY'").await.unwrap();
    assert_eq!(
        snapshot(&mut b).await,
        before,
        "settings changed the snapshot"
    );
    assert_eq!(one(&mut b, "SHOW search_path").await, "audit");
    assert_eq!(one(&mut b, "SHOW TimeZone").await, "Asia/Tokyo");
    b.execute("RESET ALL").await.unwrap();

    // The same DDL after dropping everything (new OIDs, new attnums).
    s.sql(DROP_ALL);
    s.sql(SCHEMA);
    assert_eq!(snapshot(&mut b).await, before, "a rebuild differs");

    // The same DDL in another database.
    let other = Scratch::new(Engine::Postgres);
    other.sql(SCHEMA);
    let mut o = connect(&other).await;
    assert_eq!(snapshot(&mut o).await, before, "another database differs");

    // The excluded table may differ freely.
    other.sql(
        "ALTER TABLE bellows_history ADD COLUMN note text; DROP INDEX bellows_history_migration",
    );
    assert_eq!(snapshot(&mut o).await, before);
    // With nothing excluded, it shows.
    let all = o.snapshot(&[]).await.unwrap();
    assert!(all.render().contains("column bellows_history.note text\n"));
    assert!(all.render().contains("sequence bellows_history_id_seq "));
}

#[tokio::test]
async fn snapshot_differs_when_an_object_differs() {
    let s = Scratch::new(Engine::Postgres);
    s.sql(SCHEMA);
    let mut b = connect(&s).await;
    let before = snapshot(&mut b).await;

    s.sql("DROP INDEX orders_open_idx");
    let after = snapshot(&mut b).await;
    let missing: Vec<_> = before
        .items
        .iter()
        .filter(|i| !after.items.contains(i))
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].kind, "index");
    assert_eq!(missing[0].name, "orders.orders_open_idx");
    assert_eq!(after.items.len(), before.items.len() - 1);

    s.sql("ALTER TYPE order_status ADD VALUE 'refunded'");
    assert!(snapshot(&mut b)
        .await
        .render()
        .contains("enum order_status new, paid, shipped, refunded\n"));

    // A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index behind.
    s.sql("INSERT INTO customers (email) VALUES ('a'), ('b')");
    s.sql("UPDATE customers SET name = 'same'");
    let err = b
        .execute("CREATE UNIQUE INDEX CONCURRENTLY customers_name_key ON customers (name)")
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("23505"));
    assert!(snapshot(&mut b).await.render().contains(
        "index customers.customers_name_key CREATE UNIQUE INDEX customers_name_key ON customers USING btree (name) invalid\n"
    ));

    // A column dropped and re-added with the same definition compares equal: position
    // is left out on purpose.
    let s2 = Scratch::new(Engine::Postgres);
    s2.sql("CREATE TABLE p (a int, b text, c int)");
    let mut b2 = connect(&s2).await;
    let first = b2.snapshot(&[]).await.unwrap();
    s2.sql("ALTER TABLE p DROP COLUMN b; ALTER TABLE p ADD COLUMN b text");
    assert_eq!(b2.snapshot(&[]).await.unwrap(), first);
}

#[tokio::test]
async fn a_failed_connect_never_shows_the_password() {
    let url = DbUrl::parse("postgres://postgres:Tr0ub4dor-xyz@127.0.0.1:1/nowhere").unwrap();
    let started = Instant::now();
    let err = match PgBackend::connect(&url, "bellows-test").await {
        Ok(_) => panic!("nothing listens on port 1"),
        Err(e) => e,
    };
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.kind, DbErrorKind::Connection, "{err:?}");
    assert!(!err.to_string().contains("Tr0ub4dor"), "{err}");
    assert!(err.message.contains("127.0.0.1"), "{err}");
    assert!(err.message.contains("***"), "{err}");
    assert!(err.message.contains("refused"), "the cause is named: {err}");

    // A URL tokio-postgres rejects: the message is redacted too.
    let url = DbUrl::parse("postgres://postgres:Tr0ub4dor-xyz@127.0.0.1/x?bogus=1").unwrap();
    let err = match PgBackend::connect(&url, "bellows-test").await {
        Ok(_) => panic!("bogus is not a parameter"),
        Err(e) => e,
    };
    assert!(err.message.contains("bogus"), "{err}");
    assert!(!err.to_string().contains("Tr0ub4dor"), "{err}");

    let url = DbUrl::parse("postgres://postgres@127.0.0.1/x?sslmode=sometimes").unwrap();
    let err = match PgBackend::connect(&url, "bellows-test").await {
        Ok(_) => panic!("sometimes is not an sslmode"),
        Err(e) => e,
    };
    assert!(err.message.contains("unknown sslmode `sometimes`"), "{err}");

    let url =
        DbUrl::parse("postgres://postgres@127.0.0.1/x?sslmode=require&sslrootcert=system").unwrap();
    let err = match PgBackend::connect(&url, "bellows-test").await {
        Ok(_) => panic!("the system roots need verify-full"),
        Err(e) => e,
    };
    assert!(err.message.contains("sslmode=verify-full"), "{err}");
}

async fn uses_tls(b: &mut PgBackend) -> String {
    one(
        b,
        "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
    )
    .await
}

async fn try_connect(url: &str) -> Result<PgBackend, bellows::runner::DbError> {
    let url = DbUrl::parse(url).unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        PgBackend::connect(&url, "bellows-test"),
    )
    .await
    .expect("connecting does not hang")
}

#[tokio::test]
async fn sslmodes_encrypt_and_verify_as_libpq_does() {
    let s = Scratch::new(Engine::Postgres);
    let server_ssl = s.sql("SHOW ssl") == "on";
    let url = s.url();

    let mut plain = try_connect(&format!("{url}?sslmode=disable"))
        .await
        .unwrap();
    assert_eq!(uses_tls(&mut plain).await, "false");

    let mut default = try_connect(&url).await.unwrap();
    let mut allow = try_connect(&format!("{url}?sslmode=allow")).await.unwrap();
    assert_eq!(uses_tls(&mut allow).await, "false");

    let require = try_connect(&format!("{url}?sslmode=require")).await;
    if !server_ssl {
        // prefer falls back to plain; require fails clearly, without hanging.
        assert_eq!(uses_tls(&mut default).await, "false");
        let err = require.err().expect("require needs a TLS server");
        assert_eq!(err.kind, DbErrorKind::Connection);
        assert!(err.message.contains("TLS"), "{err}");
        return;
    }
    // prefer (the default) encrypts when the server offers TLS.
    assert_eq!(uses_tls(&mut default).await, "true");
    let mut require = require.unwrap();
    assert_eq!(uses_tls(&mut require).await, "true");

    // The local server's certificate is self-signed: the web roots do not trust it.
    let err = try_connect(&format!("{url}?sslmode=verify-full&sslrootcert=system"))
        .await
        .err()
        .expect("a self-signed certificate is not trusted");
    assert_eq!(err.kind, DbErrorKind::Connection);
    assert!(err.message.contains("certificate"), "{err}");

    // With the certificate itself as the root: verify-ca ignores the name, verify-full
    // checks it.
    let cert = s.sql("SHOW ssl_cert_file");
    let cert = if std::path::Path::new(&cert).is_absolute() {
        std::path::PathBuf::from(cert)
    } else {
        std::path::Path::new(&s.sql("SHOW data_directory")).join(cert)
    };
    if std::fs::read(&cert).is_err() {
        eprintln!(
            "skipping sslrootcert checks: {} is not readable",
            cert.display()
        );
        return;
    }
    let cert = cert.display();
    let mut ca = try_connect(&format!("{url}?sslmode=verify-ca&sslrootcert={cert}"))
        .await
        .unwrap();
    assert_eq!(uses_tls(&mut ca).await, "true");
    // sslrootcert turns require into verify-ca, as in libpq.
    let mut required = try_connect(&format!("{url}?sslmode=require&sslrootcert={cert}"))
        .await
        .unwrap();
    assert_eq!(uses_tls(&mut required).await, "true");
    // The certificate names a host (Debian's snakeoil: localhost), not the address.
    let err = try_connect(&format!("{url}?sslmode=verify-full&sslrootcert={cert}"))
        .await
        .err()
        .expect("the certificate does not name the IP address");
    assert!(err.message.contains("certificate"), "{err}");
    let names_localhost = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(cert.to_string())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("DNS:localhost"));
    if names_localhost {
        let by_name = url.replacen("@127.0.0.1:", "@localhost:", 1);
        let mut full = try_connect(&format!("{by_name}?sslmode=verify-full&sslrootcert={cert}"))
            .await
            .unwrap();
        assert_eq!(uses_tls(&mut full).await, "true");
    }
    let missing = try_connect(&format!(
        "{url}?sslmode=verify-full&sslrootcert=/nonexistent/root.crt"
    ))
    .await
    .err()
    .expect("a missing root file fails");
    assert!(
        missing.message.contains("/nonexistent/root.crt"),
        "{missing}"
    );
}

#[tokio::test]
async fn an_extension_is_one_item_and_its_types_read_as_text() {
    let s = Scratch::new(Engine::Postgres);
    if s.sql("SELECT count(*) FROM pg_available_extensions WHERE name = 'citext'") != "1" {
        eprintln!("skipping: the citext extension is not installed");
        return;
    }
    s.sql("CREATE EXTENSION citext; CREATE TABLE people (email citext PRIMARY KEY)");
    let mut b = connect(&s).await;
    let snap = b.snapshot(&[]).await.unwrap();
    let extensions: Vec<_> = snap
        .items
        .iter()
        .filter(|i| i.kind == "extension")
        .collect();
    assert_eq!(extensions.len(), 1, "{}", snap.render());
    assert_eq!(extensions[0].name, "citext");
    assert!(extensions[0].detail.starts_with("version "));
    assert!(extensions[0].detail.ends_with(" schema public"));
    // None of the extension's own functions or types.
    assert!(
        !snap
            .items
            .iter()
            .any(|i| i.kind == "function" || i.kind == "type"),
        "{}",
        snap.render()
    );
    assert!(snap
        .render()
        .contains("column people.email citext not null\n"));

    b.execute_with(
        "INSERT INTO people VALUES ($1)",
        &[Value::Text("Ann@Example.com".into())],
    )
    .await
    .unwrap();
    assert_eq!(
        b.query(
            "SELECT email FROM people WHERE email = $1",
            &[Value::Text("ann@example.COM".into())]
        )
        .await
        .unwrap(),
        vec![some(&["Ann@Example.com"])]
    );
}

/// A snapshot that reuses the previous one's reading equals a fresh one after every kind
/// of change, including those that alter how another object prints: a renamed column a
/// view reads, a renamed table a foreign key references, a renamed sequence a default
/// names, a dropped index, a new function, a renamed schema.
#[tokio::test]
async fn a_reusing_snapshot_equals_a_fresh_one_after_every_change() {
    let s = Scratch::new(Engine::Postgres);
    let mut reusing = connect(&s).await;
    reusing.reuse_snapshots();
    let mut fresh = connect(&s).await;
    let steps = [
        "SELECT 1",
        "CREATE TABLE a (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL)",
        "CREATE INDEX a_name ON a (name)",
        "CREATE VIEW v AS SELECT id, name FROM a",
        "CREATE VIEW vv AS SELECT name FROM v",
        "ALTER TABLE a RENAME COLUMN name TO title",
        "CREATE TABLE b (id int PRIMARY KEY, a_id bigint REFERENCES a (id))",
        "ALTER TABLE a RENAME TO a2",
        "ALTER INDEX a_name RENAME TO a2_title",
        "DROP INDEX a2_title",
        "CREATE SEQUENCE s",
        "ALTER TABLE b ADD COLUMN n bigint DEFAULT nextval('s')",
        "ALTER SEQUENCE s RENAME TO s2",
        "ALTER TABLE b ADD CONSTRAINT b_n CHECK (n > 0)",
        "ALTER TABLE b DROP CONSTRAINT b_n",
        "ALTER TABLE b ALTER COLUMN n DROP DEFAULT",
        "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x + 1'",
        "CREATE INDEX b_f ON b (f(id))",
        "CREATE TYPE mood AS ENUM ('ok', 'sad')",
        "ALTER TABLE b ADD COLUMN m mood",
        "ALTER TYPE mood RENAME VALUE 'sad' TO 'glad'",
        "ALTER TYPE mood RENAME TO feeling",
        "CREATE SCHEMA audit",
        "CREATE TABLE audit.e (id int, b_id int REFERENCES b (id))",
        "CREATE VIEW audit.ev AS SELECT e.id, b.n FROM audit.e JOIN b ON b.id = e.b_id",
        "ALTER TABLE b RENAME COLUMN n TO num",
        "ALTER SCHEMA audit RENAME TO history",
        "CREATE TABLE p (id int, at date) PARTITION BY RANGE (at)",
        "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
        "ALTER TABLE p RENAME TO q",
        "CREATE TABLE bellows_history (id int)",
        "DROP VIEW vv",
        "CREATE OR REPLACE VIEW v AS SELECT id, title AS name, 1 AS one FROM a2",
        "ALTER VIEW v RENAME COLUMN name TO label",
        "DROP TABLE history.e CASCADE",
        "DROP TABLE b CASCADE",
        "ALTER TABLE a2 ADD COLUMN extra int",
        "ALTER TABLE a2 DROP COLUMN extra",
        "CREATE TABLE c (id int)",
        "ALTER TABLE c SET SCHEMA public",
        "CREATE UNIQUE INDEX c_id ON c (id)",
        "ALTER TABLE c ADD CONSTRAINT c_pk PRIMARY KEY USING INDEX c_id",
        "ALTER TABLE c ALTER COLUMN id TYPE bigint",
        "DROP SCHEMA history CASCADE",
    ];
    for sql in steps {
        reusing
            .execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let expected = snapshot(&mut fresh).await;
        assert_eq!(
            snapshot(&mut reusing).await.render(),
            expected.render(),
            "after `{sql}`"
        );
        // Twice in a row: nothing changed, everything reused.
        assert_eq!(
            snapshot(&mut reusing).await.render(),
            expected.render(),
            "again after `{sql}`"
        );
    }
}
