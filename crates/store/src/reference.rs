//! Reference data in the database: the master-data import and its lookups ([`ReferenceStore`]).

use crate::db::{SqlStore, Tx, db_error, on_pool, on_tx};
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::ids::{BlockId, DistrictId, LocalityId, StateId};
use sehat_domain::immunization::DoseSchedule;
use sehat_domain::master::{
    Block, District, Locality, MasterData, PincodeArea, ReferenceStore, State, Vaccine,
    VaccineProgramme,
};
use sehat_domain::values::{GeoPoint, Pincode};
use sqlx::QueryBuilder;
use std::collections::BTreeMap;

/// Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 1000;

type LocalityRow = (
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<f64>,
    Option<f64>,
);

fn locality_from_row(row: LocalityRow) -> Option<Locality> {
    let (id, name, pincode, block, district, lat, lon) = row;
    Some(Locality {
        id: LocalityId(id),
        name,
        pincode: Pincode::from_number(pincode).ok()?,
        block_id: block.map(BlockId),
        district_id: district.map(DistrictId),
        location: lat
            .zip(lon)
            .and_then(|(lat, lon)| GeoPoint::new(lat, lon).ok()),
    })
}

/// Where each (pincode, district) lies: its block and the mean position of its post offices.
/// (pincode, district, block, mean latitude, mean longitude).
type PincodeRow = (i64, i64, i64, Option<f64>, Option<f64>);

fn pincode_areas(data: &MasterData) -> Vec<PincodeRow> {
    let mut areas: BTreeMap<(i64, i64), (i64, f64, f64, u32)> = BTreeMap::new();
    for l in &data.localities {
        let (Some(d), Some(b)) = (l.district_id, l.block_id) else {
            continue;
        };
        let entry = areas
            .entry((i64::from(l.pincode.get()), d.0))
            .or_insert((b.0, 0.0, 0.0, 0));
        if let Some(p) = l.location {
            entry.1 += p.lat();
            entry.2 += p.lon();
            entry.3 += 1;
        }
    }
    areas
        .into_iter()
        .map(|((pin, d), (b, lat, lon, n))| {
            let n = f64::from(n);
            let mean = |sum: f64| (n > 0.0).then(|| sum / n);
            (pin, d, b, mean(lat), mean(lon))
        })
        .collect()
}

#[async_trait]
impl ReferenceStore for SqlStore {
    async fn master_data_version(&self) -> Result<Option<String>, DomainError> {
        on_pool!(&self.pool, p => sqlx::query_scalar::<_, String>(
            "SELECT value FROM master_data WHERE key = 'version'")
            .fetch_optional(p).await.map_err(db_error))
    }

    async fn import_master_data(&self, data: &MasterData) -> Result<(), DomainError> {
        let areas = pincode_areas(data);
        let mut tx = self.begin_write().await?;
        on_tx!(&mut tx, c => {
            for chunk in data.states.chunks(CHUNK) {
                QueryBuilder::new("INSERT INTO states (id, name) ")
                    .push_values(chunk, |mut b, s| { b.push_bind(s.id.0).push_bind(s.name.clone()); })
                    .push(" ON CONFLICT (id) DO UPDATE SET name = excluded.name")
                    .build().execute(&mut *c).await.map_err(db_error)?;
            }
            for chunk in data.districts.chunks(CHUNK) {
                QueryBuilder::new("INSERT INTO districts (id, state_id, name) ")
                    .push_values(chunk, |mut b, d| {
                        b.push_bind(d.id.0).push_bind(d.state_id.0).push_bind(d.name.clone());
                    })
                    .push(" ON CONFLICT (id) DO UPDATE SET state_id = excluded.state_id, name = excluded.name")
                    .build().execute(&mut *c).await.map_err(db_error)?;
            }
            for chunk in data.blocks.chunks(CHUNK) {
                QueryBuilder::new("INSERT INTO blocks (id, district_id, name) ")
                    .push_values(chunk, |mut b, x| {
                        b.push_bind(x.id.0).push_bind(x.district_id.0).push_bind(x.name.clone());
                    })
                    .push(" ON CONFLICT (id) DO UPDATE SET district_id = excluded.district_id, name = excluded.name")
                    .build().execute(&mut *c).await.map_err(db_error)?;
            }
            for chunk in data.localities.chunks(CHUNK) {
                QueryBuilder::new("INSERT INTO localities (id, name, pincode, block_id, district_id, lat, lon) ")
                    .push_values(chunk, |mut b, l| {
                        b.push_bind(l.id.0)
                            .push_bind(l.name.clone())
                            .push_bind(i64::from(l.pincode.get()))
                            .push_bind(l.block_id.map(|x| x.0))
                            .push_bind(l.district_id.map(|x| x.0))
                            .push_bind(l.location.map(GeoPoint::lat))
                            .push_bind(l.location.map(GeoPoint::lon));
                    })
                    .push(" ON CONFLICT (id) DO UPDATE SET name = excluded.name, pincode = excluded.pincode, \
                           block_id = excluded.block_id, district_id = excluded.district_id, \
                           lat = excluded.lat, lon = excluded.lon")
                    .build().execute(&mut *c).await.map_err(db_error)?;
            }
            for chunk in areas.chunks(CHUNK) {
                QueryBuilder::new("INSERT INTO pincodes (pincode, district_id, block_id, lat, lon) ")
                    .push_values(chunk, |mut b, a| {
                        b.push_bind(a.0).push_bind(a.1).push_bind(a.2).push_bind(a.3).push_bind(a.4);
                    })
                    .push(" ON CONFLICT (pincode, district_id) DO UPDATE SET block_id = excluded.block_id, \
                           lat = excluded.lat, lon = excluded.lon")
                    .build().execute(&mut *c).await.map_err(db_error)?;
            }
            QueryBuilder::new("INSERT INTO vaccines (code, name, programme) ")
                .push_values(&data.vaccines, |mut b, v| {
                    b.push_bind(v.code.clone()).push_bind(v.name.clone()).push_bind(v.programme.as_str());
                })
                .push(" ON CONFLICT (code) DO UPDATE SET name = excluded.name, programme = excluded.programme")
                .build().execute(&mut *c).await.map_err(db_error)?;
            if !data.dose_schedules.is_empty() {
                QueryBuilder::new("INSERT INTO dose_schedules (vaccine_code, series, manufacturer, total_doses, min_days_between, precaution_after_days) ")
                    .push_values(&data.dose_schedules, |mut b, d| {
                        b.push_bind(d.vaccine_code.clone()).push_bind(d.series.clone()).push_bind(d.manufacturer.clone())
                            .push_bind(i64::from(d.total_doses))
                            .push_bind(serde_json::to_string(&d.min_days_between).unwrap_or_else(|_| "[]".into()))
                            .push_bind(d.precaution_after_days.map(i64::from));
                    })
                    .push(" ON CONFLICT (vaccine_code) DO UPDATE SET series = excluded.series, manufacturer = excluded.manufacturer, \
                           total_doses = excluded.total_doses, min_days_between = excluded.min_days_between, \
                           precaution_after_days = excluded.precaution_after_days")
                    .build().execute(&mut *c).await.map_err(db_error)?;
            }
            for (key, value) in [("version", data.version.as_str()), ("immunization_schedule", data.schedule_json.as_str())] {
                sqlx::query("INSERT INTO master_data (key, value) VALUES ($1, $2) \
                             ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(key).bind(value)
                    .execute(&mut *c).await.map_err(db_error)?;
            }
            Ok::<(), DomainError>(())
        })?;
        tx.commit().await?;
        // The schedules a booking checks against are kept in memory: read them anew.
        self.forget_dose_schedules();
        Ok(())
    }

    async fn states(&self) -> Result<Vec<State>, DomainError> {
        let rows: Vec<(i64, String)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT id, name FROM states ORDER BY name").fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| State {
                id: StateId(id),
                name,
            })
            .collect())
    }

    async fn districts(&self) -> Result<Vec<District>, DomainError> {
        let rows: Vec<(i64, i64, String)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT id, state_id, name FROM districts ORDER BY state_id, name")
                .fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .map(|(id, state, name)| District {
                id: DistrictId(id),
                state_id: StateId(state),
                name,
            })
            .collect())
    }

    async fn blocks(&self) -> Result<Vec<Block>, DomainError> {
        let rows: Vec<(i64, i64, String)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT id, district_id, name FROM blocks ORDER BY district_id, name")
                .fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .map(|(id, district, name)| Block {
                id: BlockId(id),
                district_id: DistrictId(district),
                name,
            })
            .collect())
    }

    async fn pincode_areas(&self) -> Result<Vec<PincodeArea>, DomainError> {
        type Row = (i64, i64, i64, i64, Option<f64>, Option<f64>);
        let rows: Vec<Row> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                "SELECT p.pincode, p.district_id, d.state_id, p.block_id, p.lat, p.lon \
                 FROM pincodes p JOIN districts d ON d.id = p.district_id ORDER BY p.pincode, p.district_id")
                .fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .filter_map(|(pin, district, state, block, lat, lon)| {
                Some(PincodeArea {
                    pincode: Pincode::from_number(pin).ok()?,
                    district_id: DistrictId(district),
                    state_id: StateId(state),
                    block_id: BlockId(block),
                    location: lat.zip(lon).and_then(|(a, o)| GeoPoint::new(a, o).ok()),
                })
            })
            .collect())
    }

    async fn localities(&self, pincode: Pincode) -> Result<Vec<Locality>, DomainError> {
        let rows: Vec<LocalityRow> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                "SELECT id, name, pincode, block_id, district_id, lat, lon FROM localities \
                 WHERE pincode = $1 ORDER BY name")
                .bind(i64::from(pincode.get()))
                .fetch_all(p).await.map_err(db_error))?;
        Ok(rows.into_iter().filter_map(locality_from_row).collect())
    }

    async fn located_localities(&self) -> Result<Vec<Locality>, DomainError> {
        let rows: Vec<LocalityRow> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                "SELECT id, name, pincode, block_id, district_id, lat, lon FROM localities \
                 WHERE lat IS NOT NULL AND district_id IS NOT NULL ORDER BY id")
                .fetch_all(p).await.map_err(db_error))?;
        Ok(rows.into_iter().filter_map(locality_from_row).collect())
    }

    async fn dose_schedules(&self) -> Result<Vec<DoseSchedule>, DomainError> {
        let mut tx = self.begin_read().await?;
        let schedules = dose_schedules_in(&mut tx).await?;
        tx.commit().await?;
        Ok(schedules)
    }

    async fn vaccines(&self) -> Result<Vec<Vaccine>, DomainError> {
        let rows: Vec<(String, String, String)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT code, name, programme FROM vaccines ORDER BY programme, code")
                .fetch_all(p).await.map_err(db_error))?;
        Ok(rows
            .into_iter()
            .map(|(code, name, programme)| Vaccine {
                code,
                name,
                programme: VaccineProgramme::from_stored(&programme),
            })
            .collect())
    }
}

/// Every vaccine's dose schedule, read in `tx`.
pub(crate) async fn dose_schedules_in(tx: &mut Tx) -> Result<Vec<DoseSchedule>, DomainError> {
    type Row = (String, String, String, i64, String, Option<i64>);
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT vaccine_code, series, manufacturer, total_doses, min_days_between, precaution_after_days \
         FROM dose_schedules ORDER BY vaccine_code")
        .fetch_all(c).await.map_err(db_error))?;
    rows.into_iter()
        .map(
            |(vaccine_code, series, manufacturer, total, between, precaution)| {
                let corrupt = |what: &str| {
                    DomainError::Internal(format!("dose_schedules.{what} of {vaccine_code}").into())
                };
                Ok(DoseSchedule {
                    series,
                    manufacturer,
                    total_doses: u8::try_from(total).map_err(|_| corrupt("total_doses"))?,
                    min_days_between: serde_json::from_str(&between)
                        .map_err(|_| corrupt("min_days_between"))?,
                    precaution_after_days: precaution
                        .map(u16::try_from)
                        .transpose()
                        .map_err(|_| corrupt("precaution_after_days"))?,
                    vaccine_code,
                })
            },
        )
        .collect()
}
