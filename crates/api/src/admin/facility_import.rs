//! The streaming facility import, shared by `POST /admin/v1/facilities/upload` and
//! `sehat import facilities FILE.csv`.
//!
//! Rows are read one at a time from any async reader, validated (`sehat-domain`), resolved
//! against the gazetteer and written by natural key, so memory stays flat whatever the file size.
//! Two modes:
//! - `partial` (default): valid rows are written and committed in batches; invalid rows are
//!   skipped and reported. A row is written whole or not at all.
//! - `all-or-nothing`: the whole file is one transaction, committed only if every row is valid.

use sehat_domain::DomainError;
use sehat_domain::facility::{FacilityPlan, PlanOutcome};
use sehat_domain::facility_csv::{FacilityColumns, HeaderError, MAX_ROWS, RowError};
use sehat_domain::gazetteer::Gazetteer;
use sehat_domain::store::{FacilityImport, Store};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncRead;
use utoipa::ToSchema;

/// At most this many row errors are listed in a report (all are counted).
pub const MAX_LISTED_ERRORS: usize = 1000;

/// How an import treats invalid rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportMode {
    /// Write the valid rows, report the rest.
    #[default]
    Partial,
    /// Write nothing unless every row is valid.
    AllOrNothing,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// The mode used.
    pub mode: ImportMode,
    /// Data rows read.
    pub rows: u64,
    /// Rows written (or, in all-or-nothing mode, that would have been).
    pub accepted: u64,
    /// Rows refused.
    pub rejected: u64,
    /// Whether anything was committed.
    pub committed: bool,
    /// Centres created.
    pub centers_created: u64,
    /// Centres changed.
    pub centers_updated: u64,
    /// Sessions created.
    pub sessions_created: u64,
    /// Slots created.
    pub slots_created: u64,
    /// Sessions and slots changed.
    pub sessions_updated: u64,
    /// Row errors (at most 1000 listed).
    #[schema(value_type = Vec<RowErrorBody>)]
    pub errors: Vec<RowError>,
    /// True when more errors occurred than are listed.
    pub errors_truncated: bool,
    /// Set when reading stopped early (the file turned unreadable partway): the rows before were
    /// handled as reported, nothing after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
}

/// One refused cell, as listed in an import report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowErrorBody {
    /// Line in the file (the header is line 1).
    pub row: u64,
    /// Column at fault.
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

impl ImportReport {
    fn add_outcome(&mut self, o: PlanOutcome) {
        self.centers_created += o.centers_created;
        self.centers_updated += o.centers_updated;
        self.sessions_created += o.sessions_created;
        self.slots_created += o.slots_created;
        self.sessions_updated += o.sessions_updated;
    }

    fn reject(&mut self, errors: Vec<RowError>) {
        self.rejected += 1;
        for e in errors {
            if self.errors.len() < MAX_LISTED_ERRORS {
                self.errors.push(e);
            } else {
                self.errors_truncated = true;
            }
        }
    }
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The header line is wrong (`USRRES0005`).
    #[error("invalid headers")]
    Headers(HeaderError),
    /// The file is not readable CSV (binary, bad UTF-8, broken quoting).
    #[error("the file is not readable CSV: {0}")]
    NotCsv(String),
    /// More rows than one upload may carry.
    #[error("more than {MAX_ROWS} rows")]
    TooManyRows,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] DomainError),
}

/// Options of one import.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Partial or all-or-nothing.
    pub mode: ImportMode,
    /// Rows per committed batch in partial mode.
    pub batch_rows: u64,
    /// Today: sessions may not be planned before it.
    pub today: time::Date,
}

impl ImportOptions {
    /// Partial mode in batches of 500.
    pub fn new(mode: ImportMode, today: time::Date) -> Self {
        Self {
            mode,
            batch_rows: 500,
            today,
        }
    }
}

/// Resolves plans against the gazetteer and writes them in batches; shared by the CSV import
/// and the demo seeder so both follow the same rules.
pub struct PlanWriter<'a> {
    store: &'a dyn Store,
    gazetteer: &'a Gazetteer,
    options: ImportOptions,
    batch: Option<Box<dyn FacilityImport>>,
    in_batch: u64,
    report: ImportReport,
}

impl std::fmt::Debug for PlanWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanWriter")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl<'a> PlanWriter<'a> {
    /// A writer with nothing written yet.
    pub fn new(store: &'a dyn Store, gazetteer: &'a Gazetteer, options: ImportOptions) -> Self {
        Self {
            store,
            gazetteer,
            options,
            batch: None,
            in_batch: 0,
            report: ImportReport {
                mode: options.mode,
                ..ImportReport::default()
            },
        }
    }

    /// Counts a row that failed validation before it became a plan.
    pub fn reject(&mut self, errors: Vec<RowError>) {
        self.report.rows += 1;
        self.report.reject(errors);
    }

    /// Resolves and writes one plan read from line `line`.
    pub async fn write(&mut self, line: u64, plan: FacilityPlan) -> Result<(), DomainError> {
        self.report.rows += 1;
        if plan
            .sessions
            .as_ref()
            .is_some_and(|s| s.from < self.options.today)
        {
            self.report.reject(vec![row_error(
                line,
                "Startdate",
                "must not be in the past".to_owned(),
            )]);
            return Ok(());
        }
        let resolved = self.gazetteer.resolve_center(plan.center).and_then(|c| {
            if let Some(s) = &plan.sessions {
                self.gazetteer.check_vaccine(&s.vaccine_code)?;
            }
            Ok(c)
        });
        let center = match resolved {
            Ok(c) => c,
            Err(DomainError::Invalid { field, reason }) => {
                self.report.reject(vec![row_error(
                    line,
                    column_of(&field),
                    reason.into_owned(),
                )]);
                return Ok(());
            }
            Err(other) => return Err(other),
        };
        // In all-or-nothing mode, once a row failed nothing will be committed: only validate.
        if self.options.mode == ImportMode::AllOrNothing && self.report.rejected > 0 {
            self.report.accepted += 1;
            return Ok(());
        }
        let import = match &mut self.batch {
            Some(b) => b,
            None => self.batch.insert(self.store.begin_facility_import().await?),
        };
        match import.apply(&center, plan.sessions.as_ref()).await? {
            Ok(outcome) => {
                self.report.accepted += 1;
                self.report.add_outcome(outcome);
            }
            Err((column, reason)) => self.report.reject(vec![row_error(line, &column, reason)]),
        }
        self.in_batch += 1;
        if self.options.mode == ImportMode::Partial && self.in_batch >= self.options.batch_rows {
            if let Some(b) = self.batch.take() {
                b.commit().await?;
                self.report.committed = true;
            }
            self.in_batch = 0;
        }
        Ok(())
    }

    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.report.rows
    }

    /// Commits what is pending (in all-or-nothing mode only if every row was valid).
    pub async fn finish(mut self) -> Result<ImportReport, DomainError> {
        let commit = self.options.mode == ImportMode::Partial || self.report.rejected == 0;
        if let Some(b) = self.batch.take()
            && commit
        {
            b.commit().await?;
            self.report.committed = true;
        }
        let mut report = self.report;
        if !report.committed {
            // Nothing was written: no counts of what would have been created.
            report = ImportReport {
                mode: report.mode,
                rows: report.rows,
                accepted: report.accepted,
                rejected: report.rejected,
                errors: report.errors,
                errors_truncated: report.errors_truncated,
                ..ImportReport::default()
            };
        }
        Ok(report)
    }
}

/// Imports a facility CSV from `reader`. `progress` is called after each row with the rows and
/// bytes read so far.
pub async fn import_facilities<R>(
    reader: R,
    store: &dyn Store,
    gazetteer: &Gazetteer,
    options: ImportOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ImportReport, ImportError>
where
    R: AsyncRead + Unpin + Send,
{
    let mut csv = csv_async::AsyncReaderBuilder::new()
        .flexible(true)
        .trim(csv_async::Trim::All)
        .create_reader(reader);
    let headers = csv
        .headers()
        .await
        .map_err(|e| ImportError::NotCsv(e.to_string()))?
        .clone();
    let columns = FacilityColumns::parse(headers.iter()).map_err(ImportError::Headers)?;
    let mut writer = PlanWriter::new(store, gazetteer, options);
    let mut record = csv_async::StringRecord::new();
    loop {
        match csv.read_record(&mut record).await {
            Ok(true) => {}
            Ok(false) => break,
            // In partial mode earlier batches may be committed already: finish and say where
            // reading stopped, rather than answer as if nothing had been imported.
            Err(e) if options.mode == ImportMode::Partial && writer.rows() > 0 => {
                let mut report = writer.finish().await?;
                report.stopped_early =
                    Some(format!("reading stopped after {} rows: {e}", report.rows));
                return Ok(report);
            }
            Err(e) => return Err(ImportError::NotCsv(e.to_string())),
        }
        if writer.rows() >= MAX_ROWS {
            if options.mode == ImportMode::Partial {
                let mut report = writer.finish().await?;
                report.stopped_early = Some(format!(
                    "the file has more than {MAX_ROWS} rows; the rest was not read"
                ));
                return Ok(report);
            }
            return Err(ImportError::TooManyRows);
        }
        let cells: Vec<&str> = record.iter().collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let line = record.position().map_or(writer.rows() + 2, |p| p.line());
        match columns.parse_row(line, &cells) {
            Ok(plan) => writer.write(line, plan).await?,
            Err(errors) => writer.reject(errors),
        }
        progress(writer.rows(), csv.position().byte());
    }
    Ok(writer.finish().await?)
}

fn row_error(row: u64, column: &str, reason: String) -> RowError {
    RowError {
        row,
        column: column.to_owned(),
        reason,
    }
}

/// The CSV column that carries a domain field.
fn column_of(field: &str) -> &str {
    match field {
        "state" => "State",
        "district" => "District",
        "block" => "Block",
        "pincode" => "Pincode",
        other => other,
    }
}
