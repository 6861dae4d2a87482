//! The connection pool for either database, chosen once from the URL scheme, and the two small
//! macros that run one body of SQL code on whichever backend is in use.

use sehat_domain::DomainError;
use sehat_domain::audit::{Actor, AuditRecord};
use sehat_domain::clock::Clock;
use sehat_domain::feed::{ChangeHook, TouchedArea};
use sehat_domain::immunization::DoseSchedule;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (WAL).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `sqlite://file.db`, `sqlite::memory:` or `postgres://…`.
    pub url: String,
    /// Most connections in the pool.
    pub max_connections: u32,
    /// How long a request waits for a connection before the store reports itself unavailable.
    pub acquire_timeout: Duration,
}

impl ConnectOptions {
    /// Defaults for a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub(crate) enum TxInner {
    /// A SQLite transaction, and for a write transaction the turn of this process's writers.
    Sqlite(
        Transaction<'static, Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

/// An open transaction, and the areas whose availability it changed: once it commits, the
/// store's change hook hears of them (the search cache drops what they make stale).
pub(crate) struct Tx {
    pub(crate) inner: TxInner,
    pub(crate) touched: Vec<TouchedArea>,
    hook: Option<ChangeHook>,
    /// Who the transaction acts for, and the audit records it appends just before it commits.
    actor: Arc<Actor>,
    pub(crate) now: i64,
    audit: Vec<AuditRecord>,
}

/// Runs `$body` with `$pool` bound to the concrete pool: the SQL is written once and compiled
/// for each backend.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the open transaction's connection.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut ($tx).inner {
            $crate::db::TxInner::Sqlite(tx, _) => {
                let $c = &mut **tx;
                $body
            }
            $crate::db::TxInner::Postgres(tx) => {
                let $c = &mut **tx;
                $body
            }
        }
    };
}

pub(crate) use {on_pool, on_tx};

impl Tx {
    fn new(inner: TxInner, hook: Option<ChangeHook>, actor: Arc<Actor>, now: i64) -> Self {
        Self {
            inner,
            touched: Vec::new(),
            hook,
            actor,
            now,
            audit: Vec::new(),
        }
    }

    /// Records, in the audit log and in this transaction, that its actor did `action` to
    /// `subject`. `detail` must hold ids and counts only, never a personal identifier.
    pub(crate) fn audit(&mut self, action: &str, subject: String, detail: String) {
        self.audit.push(AuditRecord {
            at: self.now,
            actor: self.actor.who.clone(),
            origin: self.actor.origin.clone(),
            action: action.to_owned(),
            subject,
            detail,
        });
    }

    pub(crate) async fn commit(mut self) -> Result<(), DomainError> {
        let records = std::mem::take(&mut self.audit);
        crate::audit::append(&mut self, &records).await?;
        match self.inner {
            TxInner::Sqlite(tx, turn) => {
                tx.commit().await.map_err(db_error)?;
                drop(turn);
            }
            TxInner::Postgres(tx) => tx.commit().await.map_err(db_error)?,
        }
        if let Some(hook) = self.hook
            && !self.touched.is_empty()
        {
            let mut touched = self.touched;
            touched.sort_unstable();
            touched.dedup();
            hook(&touched);
        }
        Ok(())
    }
}

/// The store on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: Pool,
    /// SQLite has one writer at a time. Its busy handler polls and is not fair, so a long
    /// import could starve short writers; this FIFO lock gives this process's writers turns.
    pub(crate) sqlite_writers: Arc<tokio::sync::Mutex<()>>,
    /// The clock the store stamps rows with.
    pub clock: Arc<dyn Clock>,
    /// Told of the areas each committed write changed.
    pub(crate) change_hook: HookSlot,
    /// Whom this handle acts for: written into the audit log by its writes.
    pub(crate) actor: Arc<Actor>,
    /// The vaccines' dose schedules, read once (master data: they change only with an import,
    /// which forgets them), so that a booking checks dose rules without reading them.
    pub(crate) dose_schedules: Arc<std::sync::RwLock<Option<Arc<Vec<DoseSchedule>>>>>,
}

/// Where the change hook is kept (shared by the store's clones).
#[derive(Clone, Default)]
pub(crate) struct HookSlot(pub(crate) Arc<std::sync::RwLock<Option<ChangeHook>>>);

impl std::fmt::Debug for HookSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HookSlot")
    }
}

impl SqlStore {
    /// Connects (creating a SQLite file if missing). Does not migrate.
    pub async fn connect(
        options: &ConnectOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DomainError> {
        let url = options.url.as_str();
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect =
                PgConnectOptions::from_str(url).map_err(|e| DomainError::Internal(e.into()))?;
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(db_error)?,
            )
        } else if url.starts_with("sqlite:") {
            // One place for SQLite's tuning: WAL so readers never wait for the writer, FULL sync
            // (each commit reaches the disk before it is acknowledged: a booking survives a
            // power cut, not only a crash of the process), a busy timeout for the write lock
            // that every write transaction takes first, and foreign keys on.
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|e| DomainError::Internal(e.into()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("cache_size", "-32768")
                .pragma("temp_store", "memory");
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    // An in-memory database lives as long as its connection: keep exactly one.
                    .max_connections(if in_memory {
                        1
                    } else {
                        options.max_connections
                    })
                    .min_connections(u32::from(in_memory))
                    .idle_timeout(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(600))
                    })
                    .max_lifetime(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(3600))
                    })
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(db_error)?,
            )
        } else {
            return Err(DomainError::invalid(
                "database",
                "must be a sqlite:// or postgres:// URL",
            ));
        };
        Ok(Self {
            pool,
            clock,
            sqlite_writers: Arc::new(tokio::sync::Mutex::new(())),
            change_hook: HookSlot::default(),
            actor: Arc::new(Actor::system()),
            dose_schedules: Arc::default(),
        })
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), DomainError> {
        let migrator = crate::migrations::migrator(self.backend())
            .await
            .map_err(|e| DomainError::Internal(e.into()))?;
        on_pool!(&self.pool, p => migrator.run(p).await)
            .map_err(|e| DomainError::Internal(e.into()))
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(&self.pool, p => p.close().await);
    }

    /// Starts a write transaction. On SQLite it takes the write lock first (`BEGIN IMMEDIATE`),
    /// so two writers never deadlock upgrading read locks.
    pub(crate) async fn begin_write(&self) -> Result<Tx, DomainError> {
        let hook = self.change_hook.0.read().ok().and_then(|h| h.clone());
        Ok(Tx::new(
            match &self.pool {
                Pool::Sqlite(p) => {
                    let turn = self.sqlite_writers.clone().lock_owned().await;
                    TxInner::Sqlite(
                        p.begin_with("BEGIN IMMEDIATE").await.map_err(db_error)?,
                        Some(turn),
                    )
                }
                Pool::Postgres(p) => TxInner::Postgres(p.begin().await.map_err(db_error)?),
            },
            hook,
            self.actor.clone(),
            self.clock.now_millis(),
        ))
    }

    /// Starts a read-only transaction: one consistent view of the data.
    pub(crate) async fn begin_read(&self) -> Result<Tx, DomainError> {
        Ok(Tx::new(
            match &self.pool {
                Pool::Sqlite(p) => TxInner::Sqlite(p.begin().await.map_err(db_error)?, None),
                Pool::Postgres(p) => TxInner::Postgres(p.begin().await.map_err(db_error)?),
            },
            None,
            self.actor.clone(),
            self.clock.now_millis(),
        ))
    }

    /// The size of the database in bytes (for operators and the closing report).
    pub async fn size_bytes(&self) -> Result<i64, DomainError> {
        on_pool!(&self.pool, p => {
            let sql = match self.backend() {
                Backend::Sqlite => "SELECT CAST(page_count * page_size AS BIGINT) FROM pragma_page_count(), pragma_page_size()",
                Backend::Postgres => "SELECT CAST(pg_database_size(current_database()) AS BIGINT)",
            };
            sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.map_err(db_error)
        })
    }
}

/// The conflict message of a collision with a concurrent transaction (deadlock, serialization
/// failure, a key inserted meanwhile): the caller may simply retry.
pub const RETRYABLE: &str = "a concurrent change collided with this one; retry";

/// Maps a database error once: lost connections and pool timeouts are `Unavailable` (503, retry),
/// everything else `Internal`.
pub(crate) fn db_error(error: sqlx::Error) -> DomainError {
    match error {
        sqlx::Error::RowNotFound => DomainError::NotFound("row"),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => DomainError::Unavailable(error.into()),
        sqlx::Error::Database(ref db) if is_outage(db.as_ref()) => {
            DomainError::Unavailable(error.into())
        }
        other => DomainError::Internal(other.into()),
    }
}

/// Errors that mean "the database cannot serve now" rather than "this statement is wrong":
/// PostgreSQL's FATAL errors (connection refused, shutting down, not accepting connections),
/// connection exceptions (class 08) and too many connections; SQLite's busy and locked.
fn is_outage(db: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        use sqlx::postgres::PgSeverity;
        return matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic)
            || pg.code().starts_with("08")
            || matches!(pg.code(), "57P01" | "57P02" | "57P03" | "53300");
    }
    db.code()
        .is_some_and(|c| matches!(c.as_ref(), "5" | "6" | "517" | "261" | "262"))
}

/// True when the error is a unique-key violation (both dialects).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Checksums of the migrations compiled in, for naming test templates.
pub(crate) fn migration_checksums() -> Vec<String> {
    let all = [Backend::Sqlite, Backend::Postgres].map(crate::migrations::migrations);
    all.iter()
        .flatten()
        .map(|m| {
            format!(
                "{}:{:x?}",
                m.version,
                &m.checksum[..8.min(m.checksum.len())]
            )
        })
        .collect()
}

/// Folds SQLite's write-ahead log into the database file (so a copy of the file is complete).
pub(crate) async fn checkpoint(store: &SqlStore) {
    if let Pool::Sqlite(p) = &store.pool {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(p)
            .await;
    }
}

/// Runs one raw statement (tests only).
pub(crate) async fn execute_raw(store: &SqlStore, sql: &str) -> Result<u64, sqlx::Error> {
    on_pool!(&store.pool, p => sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(p).await.map(|r| r.rows_affected()))
}

/// Runs one raw query returning a text value (tests only).
pub(crate) async fn text_raw(store: &SqlStore, sql: &str) -> Result<Option<String>, sqlx::Error> {
    on_pool!(&store.pool, p => sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql.to_owned())).fetch_optional(p).await.map(Option::flatten))
}

/// Runs one raw query returning a number (tests only).
pub(crate) async fn scalar_raw(store: &SqlStore, sql: &str) -> Result<i64, sqlx::Error> {
    on_pool!(&store.pool, p => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT CAST(({sql}) AS BIGINT)"))).fetch_one(p).await)
}
