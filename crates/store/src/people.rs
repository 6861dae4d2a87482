//! Accounts and beneficiaries ([`BeneficiaryStore`]): the people registered under a mobile.

use crate::db::{SqlStore, Tx, db_error, is_unique_violation, on_pool, on_tx};
use crate::rows::row;
use async_trait::async_trait;
use sehat_domain::beneficiary::{
    Beneficiary, BeneficiaryRef, BeneficiaryStore, GenderId, Registration,
};
use sehat_domain::identity::{MobileHash, Sealed};
use sehat_domain::ids::{BlockId, DistrictId, LocalityId, StateId};
use sehat_domain::values::Pincode;
use sehat_domain::{DomainError, Rule};
use sqlx::QueryBuilder;

pub(crate) const BENEFICIARY_COLUMNS: &str = "b.reference_id, b.name, b.birth_year, b.gender_id, \
    a.mobile_last4, b.photo_id_type, b.photo_id_last4, b.state_id, s.name AS state_name, \
    b.district_id, d.name AS district_name, b.block_id, bl.name AS block_name, b.locality_id, \
    l.name AS locality_name, b.pincode, b.address, b.comorbidity, b.account \
    FROM beneficiaries b JOIN accounts a ON a.mobile_hash = b.account \
    LEFT JOIN states s ON s.id = b.state_id LEFT JOIN districts d ON d.id = b.district_id \
    LEFT JOIN blocks bl ON bl.id = b.block_id LEFT JOIN localities l ON l.id = b.locality_id";

row! {
    pub(crate) struct BeneficiaryRow {
        reference_id: i64,
        name: String,
        birth_year: i64,
        gender_id: i64,
        mobile_last4: String,
        photo_id_type: i64,
        photo_id_last4: String,
        state_id: Option<i64>,
        state_name: Option<String>,
        district_id: Option<i64>,
        district_name: Option<String>,
        block_id: Option<i64>,
        block_name: Option<String>,
        locality_id: Option<i64>,
        locality_name: Option<String>,
        pincode: Option<i64>,
        address: String,
        comorbidity: bool,
        pub(crate) account: String,
    }
}

impl TryFrom<BeneficiaryRow> for Beneficiary {
    type Error = DomainError;

    fn try_from(r: BeneficiaryRow) -> Result<Self, DomainError> {
        let corrupt = |what: &'static str| {
            DomainError::Internal(format!("stored beneficiary has a bad {what}").into())
        };
        Ok(Beneficiary {
            reference_id: BeneficiaryRef::new(r.reference_id)
                .map_err(|_| corrupt("reference id"))?,
            name: r.name,
            birth_year: i32::try_from(r.birth_year).map_err(|_| corrupt("birth year"))?,
            gender: GenderId::from_id(r.gender_id).map_err(|_| corrupt("gender"))?,
            mobile_last4: r.mobile_last4,
            photo_id_type: r.photo_id_type,
            photo_id_last4: r.photo_id_last4,
            state: r.state_id.map(StateId).zip(r.state_name),
            district: r.district_id.map(DistrictId).zip(r.district_name),
            block: r.block_id.map(BlockId).zip(r.block_name),
            locality: r.locality_id.map(LocalityId).zip(r.locality_name),
            pincode: r.pincode.and_then(|p| Pincode::from_number(p).ok()),
            address: r.address,
            comorbidity: r.comorbidity,
        })
    }
}

/// Reads beneficiaries by reference id within a transaction, only those of `account`.
pub(crate) async fn beneficiaries_of_in(
    tx: &mut Tx,
    account: &MobileHash,
    ids: &[BeneficiaryRef],
) -> Result<Vec<Beneficiary>, DomainError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<BeneficiaryRow> = on_tx!(tx, c => {
        let mut q = QueryBuilder::new(format!("SELECT {BENEFICIARY_COLUMNS} WHERE b.deleted_at IS NULL AND b.account = "));
        q.push_bind(account.as_str()).push(" AND b.reference_id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.get());
        }
        q.push(")");
        q.build_query_as().fetch_all(c).await.map_err(db_error)
    })?;
    rows.into_iter().map(Beneficiary::try_from).collect()
}

/// Reads beneficiaries by reference id within a transaction, whoever's they are (removed ones
/// are not read), in reference id order.
pub(crate) async fn beneficiaries_in(
    tx: &mut Tx,
    ids: &[BeneficiaryRef],
) -> Result<Vec<Beneficiary>, DomainError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<BeneficiaryRow> = on_tx!(tx, c => {
        let mut q = QueryBuilder::new(format!("SELECT {BENEFICIARY_COLUMNS} WHERE b.deleted_at IS NULL AND b.reference_id IN ("));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.get());
        }
        q.push(") ORDER BY b.reference_id");
        q.build_query_as().fetch_all(c).await.map_err(db_error)
    })?;
    rows.into_iter().map(Beneficiary::try_from).collect()
}

/// Makes the account of a mobile if new. A sealed mobile fills in an account made before
/// identifiers were sealed.
pub(crate) async fn ensure_account(
    tx: &mut Tx,
    account: &MobileHash,
    last4: &str,
    sealed: Option<&Sealed>,
    now: i64,
) -> Result<(), DomainError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO accounts (mobile_hash, mobile_last4, mobile_sealed, members, otp_lock, created_at) \
         VALUES ($1, $2, $3, 0, 0, $4) \
         ON CONFLICT (mobile_hash) DO UPDATE SET mobile_sealed = excluded.mobile_sealed \
         WHERE accounts.mobile_sealed IS NULL AND excluded.mobile_sealed IS NOT NULL")
        .bind(account.as_str()).bind(last4).bind(sealed.map(Sealed::as_str)).bind(now)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
    Ok(())
}

async fn photo_id_taken(
    tx: &mut Tx,
    r: &Registration,
    except: Option<i64>,
) -> Result<bool, DomainError> {
    let found: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT reference_id FROM beneficiaries WHERE photo_id_type = $1 AND photo_id_hash = $2 \
         AND deleted_at IS NULL AND reference_id <> $3")
        .bind(r.person.photo_id.type_id()).bind(&r.photo_id_hash).bind(except.unwrap_or(0))
        .fetch_optional(c).await.map_err(db_error))?;
    Ok(found.is_some())
}

fn photo_conflict(e: sqlx::Error) -> DomainError {
    if is_unique_violation(&e) {
        DomainError::Rule(Rule::PhotoIdTaken)
    } else {
        db_error(e)
    }
}

#[async_trait]
impl BeneficiaryStore for SqlStore {
    async fn register_beneficiary(
        &self,
        r: &Registration,
        max_members: u32,
    ) -> Result<Beneficiary, DomainError> {
        let now = self.clock.now_millis();
        let mut tx = self.begin_write().await?;
        ensure_account(
            &mut tx,
            &r.account,
            &r.mobile_last4,
            r.mobile_sealed.as_ref(),
            now,
        )
        .await?;
        let counted = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE accounts SET members = members + 1 WHERE mobile_hash = $1 AND members < $2")
            .bind(r.account.as_str()).bind(i64::from(max_members))
            .execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        if counted == 0 {
            return Err(DomainError::Rule(Rule::FamilyFull));
        }
        if photo_id_taken(&mut tx, r, None).await? {
            return Err(DomainError::Rule(Rule::PhotoIdTaken));
        }
        let p = &r.person;
        let a = &p.address;
        let mut reference = r.reference_id;
        for attempt in 0..8 {
            let inserted: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO beneficiaries (reference_id, account, name, birth_year, gender_id, photo_id_type, \
                 photo_id_hash, photo_id_last4, state_id, district_id, block_id, locality_id, pincode, address, \
                 comorbidity, created_at, updated_at, photo_id_sealed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17) \
                 ON CONFLICT (reference_id) DO NOTHING RETURNING reference_id")
                .bind(reference.get()).bind(r.account.as_str()).bind(p.name.as_str())
                .bind(i64::from(p.birth_year.get())).bind(p.gender.id()).bind(p.photo_id.type_id())
                .bind(&r.photo_id_hash).bind(p.photo_id.last4())
                .bind(a.state_id.map(|x| x.0)).bind(a.district_id.map(|x| x.0)).bind(a.block_id.map(|x| x.0))
                .bind(a.locality_id.map(|x| x.0)).bind(a.pincode.map(|x| i64::from(x.get()))).bind(&a.line)
                .bind(p.comorbidity).bind(now).bind(r.photo_id_sealed.as_str())
                .fetch_optional(c).await.map_err(photo_conflict))?;
            if inserted.is_some() {
                break;
            }
            if attempt == 7 {
                return Err(DomainError::Internal(
                    "no free beneficiary reference id".into(),
                ));
            }
            reference = BeneficiaryRef::random();
        }
        tx.audit(
            "beneficiary.register",
            format!("beneficiary:{}", reference.get()),
            "{}".into(),
        );
        tx.commit().await?;
        self.read_beneficiary(&r.account, reference).await
    }

    async fn update_beneficiary(&self, r: &Registration) -> Result<Beneficiary, DomainError> {
        let now = self.clock.now_millis();
        let mut tx = self.begin_write().await?;
        let owned = beneficiaries_of_in(&mut tx, &r.account, &[r.reference_id]).await?;
        let Some(stored) = owned.first() else {
            return Err(DomainError::NotFound("beneficiary"));
        };
        // Age limits were checked at booking: the year of birth cannot move under a booking.
        if stored.birth_year != r.person.birth_year.get() {
            let booked: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT appointment_no FROM appointment_beneficiaries WHERE beneficiary_id = $1 AND status = 'ACTIVE' AND completed_at IS NULL")
                .bind(r.reference_id.get()).fetch_optional(c).await.map_err(db_error))?;
            if booked.is_some() {
                return Err(DomainError::Rule(Rule::HasActiveAppointment));
            }
        }
        if photo_id_taken(&mut tx, r, Some(r.reference_id.get())).await? {
            return Err(DomainError::Rule(Rule::PhotoIdTaken));
        }
        let p = &r.person;
        let a = &p.address;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE beneficiaries SET name = $2, birth_year = $3, gender_id = $4, photo_id_type = $5, \
             photo_id_hash = $6, photo_id_last4 = $7, state_id = $8, district_id = $9, block_id = $10, \
             locality_id = $11, pincode = $12, address = $13, comorbidity = $14, updated_at = $15, \
             photo_id_sealed = $16 \
             WHERE reference_id = $1 AND deleted_at IS NULL")
            .bind(r.reference_id.get()).bind(p.name.as_str()).bind(i64::from(p.birth_year.get()))
            .bind(p.gender.id()).bind(p.photo_id.type_id()).bind(&r.photo_id_hash).bind(p.photo_id.last4())
            .bind(a.state_id.map(|x| x.0)).bind(a.district_id.map(|x| x.0)).bind(a.block_id.map(|x| x.0))
            .bind(a.locality_id.map(|x| x.0)).bind(a.pincode.map(|x| i64::from(x.get()))).bind(&a.line)
            .bind(p.comorbidity).bind(now).bind(r.photo_id_sealed.as_str())
            .execute(c).await.map(|r| r.rows_affected()).map_err(photo_conflict))?;
        tx.audit(
            "beneficiary.update",
            format!("beneficiary:{}", r.reference_id.get()),
            "{}".into(),
        );
        tx.commit().await?;
        self.read_beneficiary(&r.account, r.reference_id).await
    }

    async fn beneficiary(
        &self,
        account: &MobileHash,
        id: BeneficiaryRef,
    ) -> Result<Beneficiary, DomainError> {
        let found = self.read_beneficiary(account, id).await?;
        self.audit_read(format!("beneficiary:{}", id.get()), "{}".into())
            .await?;
        Ok(found)
    }

    async fn beneficiary_account(
        &self,
        id: BeneficiaryRef,
    ) -> Result<(Beneficiary, MobileHash), DomainError> {
        let found = self.read_beneficiary_account(id).await?;
        self.audit_read(format!("beneficiary:{}", id.get()), "{}".into())
            .await?;
        Ok(found)
    }

    async fn beneficiaries(&self, account: &MobileHash) -> Result<Vec<Beneficiary>, DomainError> {
        let found = self.read_beneficiaries(account).await?;
        let detail = format!("{{\"beneficiaries\":{}}}", found.len());
        self.audit_read(
            format!("account:{}", account.as_str().get(..12).unwrap_or("")),
            detail,
        )
        .await?;
        Ok(found)
    }

    async fn delete_beneficiary(
        &self,
        account: &MobileHash,
        id: BeneficiaryRef,
    ) -> Result<(), DomainError> {
        let now = self.clock.now_millis();
        let mut tx = self.begin_write().await?;
        if beneficiaries_of_in(&mut tx, account, &[id])
            .await?
            .is_empty()
        {
            return Err(DomainError::NotFound("beneficiary"));
        }
        let active: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT appointment_no FROM appointment_beneficiaries WHERE beneficiary_id = $1 AND status = 'ACTIVE' AND completed_at IS NULL")
            .bind(id.get()).fetch_optional(c).await.map_err(db_error))?;
        if active.is_some() {
            return Err(DomainError::Rule(Rule::HasActiveAppointment));
        }
        on_tx!(&mut tx, c => sqlx::query("UPDATE beneficiaries SET deleted_at = $2, updated_at = $2 WHERE reference_id = $1")
            .bind(id.get()).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE accounts SET members = members - 1 WHERE mobile_hash = $1 AND members > 0")
            .bind(account.as_str()).execute(c).await.map(|r| r.rows_affected()).map_err(db_error))?;
        tx.audit(
            "beneficiary.delete",
            format!("beneficiary:{}", id.get()),
            "{}".into(),
        );
        tx.commit().await
    }
}

impl SqlStore {
    /// One beneficiary of an account, without an audit record (for the writers' answers).
    async fn read_beneficiary(
        &self,
        account: &MobileHash,
        id: BeneficiaryRef,
    ) -> Result<Beneficiary, DomainError> {
        let row: Option<BeneficiaryRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BENEFICIARY_COLUMNS} WHERE b.deleted_at IS NULL AND b.reference_id = $1 AND b.account = $2")))
            .bind(id.get()).bind(account.as_str())
            .fetch_optional(p).await.map_err(db_error))?;
        row.ok_or(DomainError::NotFound("beneficiary"))?.try_into()
    }

    /// A beneficiary and its account, without an audit record.
    async fn read_beneficiary_account(
        &self,
        id: BeneficiaryRef,
    ) -> Result<(Beneficiary, MobileHash), DomainError> {
        let row: Option<BeneficiaryRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BENEFICIARY_COLUMNS} WHERE b.deleted_at IS NULL AND b.reference_id = $1")))
            .bind(id.get())
            .fetch_optional(p).await.map_err(db_error))?;
        let row = row.ok_or(DomainError::NotFound("beneficiary"))?;
        let account = MobileHash::from_stored(row.account.clone());
        Ok((row.try_into()?, account))
    }

    /// The beneficiaries of an account, without an audit record.
    async fn read_beneficiaries(
        &self,
        account: &MobileHash,
    ) -> Result<Vec<Beneficiary>, DomainError> {
        let rows: Vec<BeneficiaryRow> = on_pool!(&self.pool, p => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {BENEFICIARY_COLUMNS} WHERE b.deleted_at IS NULL AND b.account = $1 ORDER BY b.created_at, b.reference_id")))
            .bind(account.as_str())
            .fetch_all(p).await.map_err(db_error))?;
        rows.into_iter().map(Beneficiary::try_from).collect()
    }
}
