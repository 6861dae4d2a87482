//! The database's own ceiling for the benchmark: the statements a search and a booking issue,
//! written once next to the code that issues them, run either by `pgbench` (as a script) or by
//! a small raw harness on this store's pool, one request per transaction and no HTTP, no JSON,
//! no domain code.
//!
//! Scripts name their values `:like_this`. A step may capture columns of its one result row
//! into values (`\gset`), count the rows it changed into a value, or run only when a value is
//! not 0 (`\if`). Each script begins with one lookup a real request does not make (the area or
//! the account of a randomly drawn key), so the baseline is, if anything, a little slow.

use crate::Backend;
use crate::db::{Pool, SqlStore, Tx, TxInner, db_error};

/// Runs `$body` with `$c` bound to the connection.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}
use crate::facilities::CENTER_COLUMNS;
use crate::people::BENEFICIARY_COLUMNS;
use crate::sessions::{SESSION_COLUMNS, SLOT_COLUMNS};
use sehat_domain::DomainError;
use sqlx::Row;
use std::collections::HashMap;
use uuid::Uuid;

/// A value of a script.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// Text (dates as `YYYY-MM-DD`).
    Text(String),
    /// A UUID.
    Uuid(Uuid),
    /// A day.
    Date(time::Date),
}

/// One statement of a script.
#[derive(Debug, Clone)]
pub struct Step {
    /// The SQL, with `:name` values.
    pub sql: String,
    /// Columns of the one result row to keep as values of the same name.
    pub capture: Vec<&'static str>,
    /// Keep the number of rows changed as this value.
    pub count_into: Option<&'static str>,
    /// Run only when this value is not 0.
    pub when: Option<&'static str>,
}

impl Step {
    fn plain(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            capture: Vec::new(),
            count_into: None,
            when: None,
        }
    }

    fn capture(mut self, columns: &[&'static str]) -> Self {
        self.capture = columns.to_vec();
        self
    }
}

/// A request's statements: some before its transaction, the rest inside one.
#[derive(Debug, Clone)]
pub struct Script {
    /// Outside any transaction.
    pub before: Vec<Step>,
    /// In one write transaction (empty: none).
    pub transaction: Vec<Step>,
    /// Commit only when this value is not 0; roll back otherwise (a booking refused for want
    /// of seats leaves nothing behind).
    pub commit_when: Option<&'static str>,
}

/// What an area search runs, for a centre drawn at random (`:center`): the centre's pincode or
/// district (the harness's lookup), then the four statements of
/// [`availability_statements`](crate::availability_statements) over `:from`..`:to`.
pub fn search_script(by_district: bool) -> Script {
    let (column, key) = if by_district {
        ("c.district_id", "district_id")
    } else {
        ("c.pincode", "pincode")
    };
    let mut before = vec![
        Step::plain(format!(
            "SELECT {key} AS area FROM centers WHERE id = :center"
        ))
        .capture(&["area"]),
    ];
    before.extend(
        crate::availability_statements(column)
            .into_iter()
            .map(|sql| {
                Step::plain(
                    sql.replace("$1", ":area")
                        .replace("$2", ":from")
                        .replace("$3", ":to"),
                )
            }),
    );
    Script {
        before,
        transaction: Vec::new(),
        commit_when: None,
    }
}

/// What a v2 booking of one beneficiary (`:ben`) into a slot (`:slot`) runs, with appointment
/// number `:num` and the day `:today`: the account lookup (the harness's), the session read
/// that resolves the slot's window, then in one transaction the idempotency key, the slot,
/// session, centre and person reads, the person's lock, the one-upcoming-appointment check,
/// the conditional seat update, the appointment rows, the feed note and the key's outcome.
pub fn booking_script(backend: Backend) -> Script {
    let now = match backend {
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        Backend::Sqlite => "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
    };
    // The appointment's v2 UUID (the server draws it; the baseline lets the database draw it).
    let public_id = match backend {
        Backend::Postgres => "gen_random_uuid()",
        Backend::Sqlite => "randomblob(16)",
    };
    let before = vec![
        Step::plain("SELECT account AS acct FROM beneficiaries WHERE reference_id = :ben")
            .capture(&["acct"]),
        Step::plain("SELECT session_id AS sid FROM slots WHERE id = :slot").capture(&["sid"]),
        Step::plain(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions se WHERE se.id = :sid"
        )),
        Step::plain(format!(
            "SELECT {SLOT_COLUMNS} FROM slots sl WHERE sl.session_id = :sid"
        )),
    ];
    let transaction = vec![
        Step::plain(format!(
            "INSERT INTO idempotency_keys (scope, key, request_hash, outcome, created_at) \
             VALUES (:acct, :key, 'bench', NULL, {now}) ON CONFLICT (scope, key) DO NOTHING"
        )),
        Step::plain(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions se JOIN slots sl ON sl.session_id = se.id WHERE sl.id = :slot"
        ))
        .capture(&["center_id"]),
        Step::plain(format!("SELECT {SLOT_COLUMNS} FROM slots sl WHERE sl.id = :slot")),
        Step::plain(format!("SELECT {CENTER_COLUMNS} WHERE c.id = :center_id")),
        Step::plain(format!(
            "SELECT {BENEFICIARY_COLUMNS} WHERE b.deleted_at IS NULL AND b.account = :acct AND b.reference_id IN (:ben)"
        )),
        Step::plain("UPDATE beneficiaries SET updated_at = updated_at WHERE reference_id IN (:ben)"),
        Step::plain(
            "SELECT ab.beneficiary_id FROM appointment_beneficiaries ab \
             JOIN appointments a ON a.number = ab.appointment_no JOIN sessions se ON se.id = a.session_id \
             WHERE ab.status = 'ACTIVE' AND (ab.dose = 1 OR se.date >= :today) AND ab.beneficiary_id IN (:ben) LIMIT 1",
        ),
        Step::plain(format!(
            "INSERT INTO appointments (number, public_id, account, center_id, session_id, slot_id, dose, created_at, updated_at) \
             VALUES (:num, {public_id}, :acct, :center_id, :sid, :slot, 1, {now}, {now}) ON CONFLICT (number) DO NOTHING RETURNING number"
        )),
        // The baseline draws people at random, so one may already hold a seat: skipped, not failed.
        Step::plain(format!(
            "INSERT INTO appointment_beneficiaries (appointment_no, beneficiary_id, dose, status, updated_at) \
             VALUES (:num, :ben, 1, 'ACTIVE', {now}) ON CONFLICT DO NOTHING"
        )),
        Step::plain(format!(
            "INSERT INTO availability_changes (session_id, center_id, district_id, pincode, changed_at) \
             SELECT se.id, c.id, c.district_id, c.pincode, {now} FROM sessions se JOIN centers c ON c.id = se.center_id \
             WHERE se.id IN (:sid) RETURNING district_id, pincode"
        )),
        Step::plain("UPDATE idempotency_keys SET outcome = '{\"Booked\":1}' WHERE scope = :acct AND key = :key"),
        // The seat last: the hot row stays locked from here to the commit.
        Step {
            count_into: Some("took"),
            ..Step::plain(format!(
                "UPDATE slots SET booked = booked + 1, booked_dose1 = booked_dose1 + 1, changed_at = {now} \
                 WHERE id = :slot AND booked_dose1 + 1 <= capacity_dose1 AND booked + 1 <= capacity"
            ))
        },
    ];
    Script {
        before,
        transaction,
        commit_when: Some("took"),
    }
}

/// A script as `pgbench` runs it, after `prelude` (its `\set` lines).
pub fn pgbench_text(script: &Script, prelude: &str) -> String {
    let mut out = String::from(prelude);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let mut write = |step: &Step| {
        if let Some(v) = step.when {
            out.push_str(&format!("\\if :{v}\n"));
        }
        if let Some(v) = step.count_into {
            out.push_str(&format!(
                "WITH changed AS ({} RETURNING 1) SELECT COUNT(*) AS {v} FROM changed\n\\gset\n",
                step.sql
            ));
        } else if step.capture.is_empty() {
            out.push_str(&step.sql);
            out.push_str(";\n");
        } else {
            out.push_str(&step.sql);
            out.push_str("\n\\gset\n");
        }
        if step.when.is_some() {
            out.push_str("\\endif\n");
        }
    };
    script.before.iter().for_each(&mut write);
    if !script.transaction.is_empty() {
        write(&Step::plain("BEGIN"));
        script.transaction.iter().for_each(&mut write);
        match script.commit_when {
            Some(v) => out.push_str(&format!("\\if :{v}\nCOMMIT;\n\\else\nROLLBACK;\n\\endif\n")),
            None => out.push_str("COMMIT;\n"),
        }
    }
    out
}

/// `:name` values replaced by `$1…`, and the names in order.
fn positional(sql: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(sql.len());
    let mut names: Vec<String> = Vec::new();
    let mut chars = sql.char_indices().peekable();
    let mut in_text = false;
    while let Some((i, ch)) = chars.next() {
        if ch == '\'' {
            in_text = !in_text;
        }
        let starts_name = ch == ':'
            && !in_text
            && !sql[..i].ends_with(':')
            && chars.peek().is_some_and(|(_, c)| c.is_ascii_alphabetic());
        if !starts_name {
            out.push(ch);
            continue;
        }
        let mut name = String::new();
        while let Some((_, c)) = chars.peek() {
            if c.is_ascii_alphanumeric() || *c == '_' {
                name.push(*c);
                chars.next();
            } else {
                break;
            }
        }
        let n = match names.iter().position(|x| *x == name) {
            Some(p) => p + 1,
            None => {
                names.push(name);
                names.len()
            }
        };
        out.push_str(&format!("${n}"));
    }
    (out, names)
}

/// A connection of either database.
enum Conn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

impl<'a> Conn<'a> {
    fn of(tx: &'a mut Tx) -> Self {
        match &mut tx.inner {
            TxInner::Sqlite(tx, _) => Conn::Sqlite(tx),
            TxInner::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

async fn run_step(
    conn: Conn<'_>,
    step: &Step,
    values: &mut HashMap<&'static str, Value>,
) -> Result<(), DomainError> {
    if let Some(v) = step.when
        && matches!(values.get(v), Some(Value::Int(0)) | None)
    {
        return Ok(());
    }
    let (sql, names) = positional(&step.sql);
    let mut args = Vec::with_capacity(names.len());
    for name in &names {
        let value = values
            .iter()
            .find(|(k, _)| **k == name.as_str())
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                DomainError::Internal(format!("script value :{name} is not set").into())
            })?;
        args.push(value);
    }
    on_conn!(conn, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in args {
            q = match a {
                Value::Int(i) => q.bind(i),
                Value::Text(s) => q.bind(s),
                Value::Uuid(u) => q.bind(u),
                Value::Date(d) => q.bind(d),
            };
        }
        if let Some(into) = step.count_into {
            let n = q.execute(c).await.map_err(db_error)?.rows_affected();
            values.insert(into, Value::Int(i64::try_from(n).unwrap_or(0)));
        } else if step.capture.is_empty() {
            q.fetch_all(c).await.map_err(db_error)?;
        } else if let Some(row) = q.fetch_optional(c).await.map_err(db_error)? {
            for column in &step.capture {
                let value = if let Ok(i) = row.try_get::<i64, _>(*column) {
                    Value::Int(i)
                } else if let Ok(u) = row.try_get::<Uuid, _>(*column) {
                    Value::Uuid(u)
                } else {
                    Value::Text(row.try_get::<String, _>(*column).map_err(db_error)?)
                };
                values.insert(column, value);
            }
        }
    });
    Ok(())
}

impl SqlStore {
    /// Runs a script once with these values, as the raw harness does: `before` on a pooled
    /// connection, the rest in one write transaction (on SQLite, with this process's writers
    /// taking turns, as the server's do).
    pub async fn run_script(
        &self,
        script: &Script,
        values: &mut HashMap<&'static str, Value>,
    ) -> Result<(), DomainError> {
        if !script.before.is_empty() {
            match &self.pool {
                Pool::Sqlite(p) => {
                    let mut c = p.acquire().await.map_err(db_error)?;
                    for step in &script.before {
                        run_step(Conn::Sqlite(&mut c), step, values).await?;
                    }
                }
                Pool::Postgres(p) => {
                    let mut c = p.acquire().await.map_err(db_error)?;
                    for step in &script.before {
                        run_step(Conn::Postgres(&mut c), step, values).await?;
                    }
                }
            }
        }
        if !script.transaction.is_empty() {
            let mut tx = self.begin_write().await?;
            for step in &script.transaction {
                run_step(Conn::of(&mut tx), step, values).await?;
            }
            let commit = script
                .commit_when
                .is_none_or(|v| !matches!(values.get(v), Some(Value::Int(0)) | None));
            if commit {
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_positions_and_repeat() {
        let (sql, names) = positional("SELECT :a, ':b', :a::text, :c_d FROM t WHERE x = :c_d");
        assert_eq!(sql, "SELECT $1, ':b', $1::text, $2 FROM t WHERE x = $2");
        assert_eq!(names, ["a", "c_d"]);
    }

    #[test]
    fn pgbench_text_branches_on_counted_rows() {
        let text = pgbench_text(&booking_script(Backend::Postgres), "\\set slot 1");
        assert!(text.starts_with("\\set slot 1\n"));
        assert!(text.contains("RETURNING 1) SELECT COUNT(*) AS took FROM changed\n\\gset\n"));
        assert!(
            text.contains("BEGIN;\n")
                && text.ends_with("\\if :took\nCOMMIT;\n\\else\nROLLBACK;\n\\endif\n")
        );
    }
}
