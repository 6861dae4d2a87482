//! `Store for SqlStore`: the trait's methods, each delegating to the module that owns its SQL.

use crate::db::SqlStore;
use async_trait::async_trait;
use sehat_domain::DomainError;
use sehat_domain::audit::{Actor, AuditChain, SealedRecord};
use sehat_domain::beneficiary::{Beneficiary, BeneficiaryRef};
use sehat_domain::booking::{Appointment, AppointmentNo, BookingRequest};
use sehat_domain::credentials::{NewPartnerKey, PartnerKey};
use sehat_domain::facility::{Center, CenterPatch, PlanOutcome, ResolvedCenter};
use sehat_domain::identity::{MobileHash, OtpPolicy};
use sehat_domain::ids::SlotId;
use sehat_domain::ids::{CenterId, SessionId};
use sehat_domain::master::{Block, District, Locality, PincodeArea, State, Vaccine};
use sehat_domain::outbox::{Job, JobResult};
use sehat_domain::schedule::Slot;
use sehat_domain::schedule::{DayUtilization, Session, SessionPlan};
use sehat_domain::store::{
    AreaAvailability, CenterArea, CenterFilter, CenterSummary, FacilityImport, FeedChange,
    IdempotencyKey, MasterData, NewOtp, OtpAttempt, Page, Registration, RescheduleRequest, Store,
};
use sehat_domain::values::{GeoPoint, Pincode};
use std::sync::Arc;
use time::Date;

#[async_trait]
impl Store for SqlStore {
    async fn availability(
        &self,
        area: CenterArea,
        from: Date,
        to: Date,
    ) -> Result<AreaAvailability, DomainError> {
        self.read_availability(area, from, to).await
    }
    fn watch_changes(&self, hook: sehat_domain::store::ChangeHook) {
        if let Ok(mut slot) = self.change_hook.0.write() {
            *slot = Some(hook);
        }
    }
    async fn sessions_by_id(&self, ids: &[SessionId]) -> Result<Vec<Session>, DomainError> {
        self.read_sessions_by_id(ids).await
    }
    async fn sequence_feed(&self, max: u32) -> Result<u64, DomainError> {
        SqlStore::sequence_feed(self, max).await
    }
    async fn feed_bounds(&self) -> Result<(u64, u64), DomainError> {
        SqlStore::feed_bounds(self).await
    }
    async fn feed_changes(
        &self,
        after: u64,
        area: Option<CenterArea>,
        limit: u32,
    ) -> Result<Vec<FeedChange>, DomainError> {
        self.read_feed_changes(after, area, limit).await
    }
    async fn prune_feed(&self, before: i64) -> Result<u64, DomainError> {
        self.prune_feed_changes(before).await
    }
    async fn put_captcha(
        &self,
        account: &MobileHash,
        answer_hash: &str,
        expires_at: i64,
    ) -> Result<(), DomainError> {
        self.store_captcha(account, answer_hash, expires_at).await
    }
    async fn take_captcha(&self, account: &MobileHash) -> Result<Option<String>, DomainError> {
        self.pop_captcha(account).await
    }
    async fn idempotency_key_seen(&self, key: &IdempotencyKey) -> Result<bool, DomainError> {
        self.key_seen(key).await
    }
    async fn ping(&self) -> Result<(), DomainError> {
        self.ping_db().await
    }
    async fn master_data_version(&self) -> Result<Option<String>, DomainError> {
        self.read_master_version().await
    }
    async fn import_master_data(&self, data: &MasterData) -> Result<(), DomainError> {
        self.write_master_data(data).await
    }
    async fn states(&self) -> Result<Vec<State>, DomainError> {
        self.read_states().await
    }
    async fn districts(&self) -> Result<Vec<District>, DomainError> {
        self.read_districts().await
    }
    async fn blocks(&self) -> Result<Vec<Block>, DomainError> {
        self.read_blocks().await
    }
    async fn pincode_areas(&self) -> Result<Vec<PincodeArea>, DomainError> {
        self.read_pincode_areas().await
    }
    async fn localities(&self, pincode: Pincode) -> Result<Vec<Locality>, DomainError> {
        self.read_localities(pincode).await
    }
    async fn located_localities(&self) -> Result<Vec<Locality>, DomainError> {
        self.read_located_localities().await
    }
    async fn vaccines(&self) -> Result<Vec<Vaccine>, DomainError> {
        self.read_vaccines().await
    }
    async fn begin_facility_import(&self) -> Result<Box<dyn FacilityImport>, DomainError> {
        self.start_facility_import().await
    }
    async fn create_center(&self, center: &ResolvedCenter) -> Result<Center, DomainError> {
        self.insert_new_center(center).await
    }
    async fn update_center(
        &self,
        id: CenterId,
        patch: &CenterPatch,
    ) -> Result<Center, DomainError> {
        self.patch_center(id, patch).await
    }
    async fn center(&self, id: CenterId) -> Result<Center, DomainError> {
        self.read_center(id).await
    }
    async fn list_centers(
        &self,
        filter: &CenterFilter,
        page: Page,
    ) -> Result<Vec<Center>, DomainError> {
        self.read_centers(filter, page).await
    }
    async fn count_centers(&self) -> Result<u64, DomainError> {
        self.center_count().await
    }
    async fn open_sessions(
        &self,
        center: CenterId,
        plan: &SessionPlan,
    ) -> Result<PlanOutcome, DomainError> {
        self.open_center_sessions(center, plan).await
    }
    async fn close_session(&self, id: SessionId) -> Result<Session, DomainError> {
        self.set_session_closed(id).await
    }
    async fn session(&self, id: SessionId) -> Result<Session, DomainError> {
        self.read_session(id).await
    }
    async fn sessions(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<Session>, DomainError> {
        self.read_sessions(center, from, to).await
    }
    async fn centers_in(&self, area: CenterArea) -> Result<Vec<Center>, DomainError> {
        self.read_centers_in(area).await
    }
    async fn centers_near(
        &self,
        point: GeoPoint,
        limit: u32,
    ) -> Result<Vec<(Center, f64)>, DomainError> {
        self.read_centers_near(point, limit).await
    }
    async fn center_summaries(
        &self,
        centers: &[CenterId],
        from: Date,
    ) -> Result<Vec<(CenterId, CenterSummary)>, DomainError> {
        self.read_center_summaries(centers, from).await
    }
    async fn create_otp(&self, otp: &NewOtp, policy: &OtpPolicy) -> Result<(), DomainError> {
        self.insert_otp(otp, policy).await
    }
    async fn attempt_otp(
        &self,
        txn_id: &str,
        max_attempts: u32,
    ) -> Result<OtpAttempt, DomainError> {
        self.count_otp_attempt(txn_id, max_attempts).await
    }
    async fn take_attempt(
        &self,
        subject: &str,
        max: u32,
        window_ms: i64,
    ) -> Result<(), DomainError> {
        self.count_attempt(subject, max, window_ms).await
    }
    async fn consume_otp(&self, txn_id: &str) -> Result<(), DomainError> {
        self.mark_otp_used(txn_id).await
    }
    async fn register_beneficiary(
        &self,
        registration: &Registration,
        max_members: u32,
    ) -> Result<Beneficiary, DomainError> {
        self.insert_beneficiary(registration, max_members).await
    }
    async fn update_beneficiary(
        &self,
        registration: &Registration,
    ) -> Result<Beneficiary, DomainError> {
        self.replace_beneficiary(registration).await
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
        self.remove_beneficiary(account, id).await
    }
    async fn book(
        &self,
        request: &BookingRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError> {
        self.book_slot(request, key).await
    }
    async fn reschedule(
        &self,
        request: &RescheduleRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<Appointment, DomainError> {
        self.move_appointment(request, key).await
    }
    async fn cancel(
        &self,
        account: &MobileHash,
        number: AppointmentNo,
        beneficiaries: &[BeneficiaryRef],
    ) -> Result<Appointment, DomainError> {
        self.cancel_bookings(account, number, beneficiaries).await
    }
    async fn appointment(
        &self,
        account: &MobileHash,
        number: AppointmentNo,
    ) -> Result<Appointment, DomainError> {
        let found = self.read_appointment(account, number).await?;
        self.audit_read(format!("appointment:{}", number.get()), "{}".into())
            .await?;
        Ok(found)
    }
    async fn appointments(&self, account: &MobileHash) -> Result<Vec<Appointment>, DomainError> {
        let found = self.read_appointments(account).await?;
        let detail = format!("{{\"appointments\":{}}}", found.len());
        self.audit_read(
            format!("account:{}", account.as_str().get(..12).unwrap_or("")),
            detail,
        )
        .await?;
        Ok(found)
    }
    async fn slot(&self, id: SlotId) -> Result<(Session, Slot), DomainError> {
        self.read_slot(id).await
    }
    async fn utilization(
        &self,
        center: CenterId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayUtilization>, DomainError> {
        self.read_utilization(center, from, to).await
    }

    fn acting_as(&self, actor: Actor) -> Arc<dyn Store> {
        let mut store = self.clone();
        store.actor = Arc::new(actor);
        Arc::new(store)
    }
    async fn seal_audit(&self, chain: &AuditChain, max: u32) -> Result<u64, DomainError> {
        self.seal_audit_records(chain, max).await
    }
    async fn audit_records(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<SealedRecord>, DomainError> {
        self.read_audit_records(after, limit).await
    }
    async fn audit_head(&self) -> Result<(u64, String, u64), DomainError> {
        self.read_audit_head().await
    }
    async fn revoke_token(&self, jti: &str, expires_at: i64) -> Result<(), DomainError> {
        self.insert_revoked_token(jti, expires_at).await
    }
    async fn token_refused(
        &self,
        jti: &str,
        partner_key: Option<&str>,
        now: i64,
    ) -> Result<bool, DomainError> {
        self.is_token_refused(jti, partner_key, now).await
    }
    async fn add_partner_key(
        &self,
        key: &NewPartnerKey,
        retire_others_after_ms: Option<i64>,
    ) -> Result<PartnerKey, DomainError> {
        self.insert_partner_key(key, retire_others_after_ms).await
    }
    async fn partner_keys(&self, partner: &str) -> Result<Vec<PartnerKey>, DomainError> {
        self.read_partner_keys(partner).await
    }
    async fn revoke_partner_key(&self, partner: &str, id: &str) -> Result<PartnerKey, DomainError> {
        self.set_partner_key_revoked(partner, id).await
    }
    async fn partner_key(&self, id: &str) -> Result<Option<(PartnerKey, String)>, DomainError> {
        self.read_partner_key(id).await
    }
    async fn lease_jobs(&self, now: i64, lease_ms: i64, max: u32) -> Result<Vec<Job>, DomainError> {
        self.lease_due_jobs(now, lease_ms, max).await
    }
    async fn finish_jobs(
        &self,
        results: &[(i64, u32, JobResult)],
        now: i64,
    ) -> Result<(), DomainError> {
        self.record_job_results(results, now).await
    }
    async fn prune_jobs(&self, before: i64) -> Result<u64, DomainError> {
        self.delete_finished_jobs(before).await
    }
    async fn job_counts(&self) -> Result<(u64, u64), DomainError> {
        self.count_jobs().await
    }
}
