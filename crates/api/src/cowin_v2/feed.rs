//! The live availability feed: `GET /api/v2/appointment/sessions/public/stream?district_id=…`
//! (or `pincode=`), Server-Sent Events of session availability with the feed's version as the
//! event id.
//!
//! Writers append to the database's change log in their own transactions; one poller per node
//! stamps pending changes with gap-free versions (the store makes stampers take turns, so versions
//! appear in commit order on every node), reads what was stamped and broadcasts it to the node's
//! subscribers. A new subscriber first gets a snapshot of the area's next 7 days (ended by a
//! `snapshot` event carrying the current version as id); one that reconnects with
//! `Last-Event-ID` gets exactly the changes after that version from the log instead, or a
//! snapshot when the log no longer reaches back that far.
//! A subscriber that sees a gap between what it has and a broadcast (it lagged, or the poller
//! started after it) fills it from the log, so no version is ever skipped.

use super::sessions::SessionItem;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::rate_limit::PublicCaller;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sehat_domain::DomainError;
use sehat_domain::ids::{CenterId, DistrictId, SessionId};
use sehat_domain::schedule::Session;
use sehat_domain::store::{CenterArea, FeedChange, TouchedArea};
use sehat_domain::values::Pincode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The feed route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_availability))
}

/// How the feed runs.
#[derive(Debug, Clone, Copy)]
pub struct FeedConfig {
    /// How often the poller stamps and reads new changes.
    pub poll: Duration,
    /// How long changes stay in the log for clients that resume.
    pub retention: Duration,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(100),
            retention: Duration::from_secs(24 * 3600),
        }
    }
}

/// Most changes one poll stamps and reads.
const BATCH: u32 = 5000;
/// Keep-alive comment interval, under common proxy idle timeouts.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// A poller with no subscriber stops after this long (unless it serves the whole process).
const IDLE_STOP: Duration = Duration::from_secs(5);

/// One feed event: a session's availability now, with the version of the change that caused it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedItem {
    /// The feed version (also the SSE event id).
    version: u64,
    center_id: i64,
    #[serde(flatten)]
    session: SessionItem,
}

/// The end of a new connection's snapshot: the version the snapshot reflects (also the event
/// id) and how many sessions it listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SnapshotEnd {
    version: u64,
    sessions: u64,
}

/// The `data` of a feed event: a session's availability (`availability` events) or the end of
/// the snapshot (the `snapshot` event).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum FeedEvent {
    /// `event: availability`.
    Availability(FeedItem),
    /// `event: snapshot`.
    Snapshot(SnapshotEnd),
}

/// One Server-Sent Event of the feed as the OpenAPI document describes an event stream (one
/// schema per event, OpenAPI 3.2 style): `data` is JSON text holding a [`FeedEvent`]. Only
/// describes the wire; events are written with axum's `Event`.
#[derive(Debug, ToSchema)]
pub struct FeedSseEvent {
    /// `availability` or `snapshot`.
    #[schema(schema_with = event_names)]
    pub event: String,
    /// The feed version; absent on the availability events of a snapshot.
    pub id: Option<String>,
    /// A JSON [`FeedEvent`].
    #[schema(schema_with = event_data)]
    pub data: String,
}

fn event_names() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["availability", "snapshot"]))
        .build()
}

fn event_data() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .content_media_type("application/json")
        .content_schema(Some(utoipa::openapi::Ref::from_schema_name("FeedEvent")))
        .build()
}

#[derive(Debug)]
struct Item {
    version: u64,
    district: DistrictId,
    pincode: Pincode,
    json: Arc<str>,
}

/// Versions `after` (exclusive) to `upto` (inclusive), and their items.
#[derive(Debug)]
struct Batch {
    after: u64,
    upto: u64,
    items: Vec<Item>,
}

/// The node's feed: the broadcast to subscribers, the poller's state, and the shutdown signal.
#[derive(Debug)]
pub struct Feed {
    config: FeedConfig,
    sender: broadcast::Sender<Arc<Batch>>,
    polling: AtomicBool,
    closed: watch::Sender<bool>,
}

impl Feed {
    /// A feed that polls as configured.
    pub fn new(config: FeedConfig) -> Self {
        Self {
            config,
            sender: broadcast::channel(256).0,
            polling: AtomicBool::new(false),
            closed: watch::channel(false).0,
        }
    }

    /// How many streams this node is serving.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Ends every open stream (at shutdown).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Starts the poller if it is not running; with `always`, it keeps running without
    /// subscribers (the server does this, so the log is stamped and pruned all the time).
    pub fn start(state: &AppState, always: bool) {
        let feed = state.feed.clone();
        if feed
            .polling
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let state = state.clone();
        tokio::spawn(async move { poll(state, always).await });
    }
}

async fn poll(state: AppState, always: bool) {
    let feed = state.feed.clone();
    let mut closed = feed.closed.subscribe();
    let mut cursor = loop {
        match state.store.feed_bounds().await {
            Ok((latest, _)) => break latest,
            Err(e) => {
                tracing::warn!(error = %e, "feed: cannot read the log yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut idle_since: Option<tokio::time::Instant> = None;
    let mut last_prune = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(feed.config.poll) => {}
            _ = closed.changed() => break,
        }
        if !always {
            if feed.sender.receiver_count() == 0 {
                let since = *idle_since.get_or_insert_with(tokio::time::Instant::now);
                if since.elapsed() >= IDLE_STOP {
                    feed.polling.store(false, Ordering::Release);
                    // A subscriber that came as we stopped would wait for nothing: go on for it.
                    if feed.sender.receiver_count() == 0
                        || feed
                            .polling
                            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                            .is_err()
                    {
                        return;
                    }
                }
            } else {
                idle_since = None;
            }
        }
        match step(&state, cursor).await {
            Ok(Some(batch)) => {
                cursor = batch.upto;
                // No receiver is fine: nobody is listening on this node.
                let _ = feed.sender.send(Arc::new(batch));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "feed: poll failed"),
        }
        if last_prune.elapsed() >= Duration::from_secs(600) {
            last_prune = tokio::time::Instant::now();
            let keep = i64::try_from(feed.config.retention.as_millis()).unwrap_or(i64::MAX);
            let before = state.clock.now_millis().saturating_sub(keep);
            if let Err(e) = state.store.prune_feed(before).await {
                tracing::warn!(error = %e, "feed: pruning failed");
            }
        }
    }
    feed.polling.store(false, Ordering::Release);
}

/// Stamps pending changes and reads those after `cursor`: the next batch, if any.
async fn step(state: &AppState, cursor: u64) -> Result<Option<Batch>, DomainError> {
    let latest = state.store.sequence_feed(BATCH).await?;
    if latest <= cursor {
        return Ok(None);
    }
    let changes = state.store.feed_changes(cursor, None, BATCH).await?;
    // Other nodes' writes: their areas' cached searches are stale now.
    let touched: Vec<TouchedArea> = changes
        .iter()
        .map(|c| TouchedArea {
            district_id: c.district_id.0,
            pincode: i64::from(c.pincode.get()),
            session_id: c.session_id.0,
            // The log does not say what changed: any change may have freed seats.
            frees_seats: true,
        })
        .collect();
    state.search_cache.invalidate(&touched);
    state.sold_out.forget(&touched);
    let Some(upto) = changes.last().map(|c| c.version) else {
        return Ok(None);
    };
    Ok(Some(Batch {
        after: cursor,
        upto,
        items: items(state, &changes).await?,
    }))
}

/// The current availability of the changed sessions, one item per change.
async fn items(state: &AppState, changes: &[FeedChange]) -> Result<Vec<Item>, DomainError> {
    let mut ids: Vec<SessionId> = changes.iter().map(|c| c.session_id).collect();
    ids.sort_by_key(|s| s.0);
    ids.dedup();
    let sessions: HashMap<SessionId, Session> = state
        .store
        .sessions_by_id(&ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let now = state.clock.now();
    let mut out = Vec::with_capacity(changes.len());
    for c in changes {
        if let Some(session) = sessions.get(&c.session_id) {
            out.push(Item {
                version: c.version,
                district: c.district_id,
                pincode: c.pincode,
                json: item_json(c.version, c.center_id, session, now)?,
            });
        }
    }
    Ok(out)
}

fn item_json(
    version: u64,
    center: CenterId,
    session: &Session,
    now: time::OffsetDateTime,
) -> Result<Arc<str>, DomainError> {
    let item = FeedItem {
        version,
        center_id: center.0,
        session: SessionItem::of(session, now),
    };
    serde_json::to_string(&item)
        .map(Arc::from)
        .map_err(|e| DomainError::Internal(e.into()))
}

fn in_area(area: CenterArea, district: DistrictId, pincode: Pincode) -> bool {
    match area {
        CenterArea::District(d) => d == district,
        CenterArea::Pincode(p) => p == pincode,
        CenterArea::Block(_) => false,
    }
}

fn event(version: u64, json: &str) -> Event {
    Event::default()
        .id(version.to_string())
        .event("availability")
        .data(json)
}

/// A snapshot's items carry no id: only the `snapshot` event that ends it does, so a client cut
/// off halfway resumes from before the snapshot (and gets it again), never from inside it.
fn snapshot_item(json: &str) -> Event {
    Event::default().event("availability").data(json)
}

/// One subscriber: catches up (snapshot or replay), then relays broadcasts, filling any gap
/// from the log.
async fn subscriber(
    state: AppState,
    area: CenterArea,
    resume: Option<u64>,
    mut batches: broadcast::Receiver<Arc<Batch>>,
    out: mpsc::Sender<Event>,
) -> Result<(), DomainError> {
    let mut closed = state.feed.closed.subscribe();
    // Stamp what is pending first, so that the snapshot's version covers every change committed
    // before it is read.
    state.store.sequence_feed(BATCH).await?;
    let (latest, oldest) = state.store.feed_bounds().await?;
    let replayable =
        |from: u64| from <= latest && (from == latest || (oldest > 0 && oldest <= from + 1));
    let mut cursor = match resume {
        Some(from) if replayable(from) => {
            catch_up(&state, area, from, latest, &out).await?;
            latest
        }
        _ => {
            snapshot(&state, area, latest, &out).await?;
            latest
        }
    };
    loop {
        let batch = tokio::select! {
            received = batches.recv() => received,
            // `wait_for` sees a close that came before this subscriber subscribed, too.
            _ = closed.wait_for(|closed| *closed) => return Ok(()),
            // The client went away: a quiet area would otherwise keep this task forever.
            () = out.closed() => return Ok(()),
        };
        let batch = match batch {
            Ok(b) => b,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        };
        if batch.upto <= cursor {
            continue;
        }
        if batch.after > cursor {
            catch_up(&state, area, cursor, batch.after, &out).await?;
        }
        for item in batch.items.iter().filter(|i| i.version > cursor) {
            if in_area(area, item.district, item.pincode)
                && out.send(event(item.version, &item.json)).await.is_err()
            {
                return Ok(());
            }
        }
        cursor = batch.upto;
    }
}

/// Sends the area's changes in `(from, upto]` from the log.
async fn catch_up(
    state: &AppState,
    area: CenterArea,
    mut from: u64,
    upto: u64,
    out: &mpsc::Sender<Event>,
) -> Result<(), DomainError> {
    while from < upto {
        let changes: Vec<FeedChange> = state
            .store
            .feed_changes(from, Some(area), BATCH)
            .await?
            .into_iter()
            .filter(|c| c.version <= upto)
            .collect();
        let Some(last) = changes.last().map(|c| c.version) else {
            return Ok(());
        };
        for item in items(state, &changes).await? {
            if out.send(event(item.version, &item.json)).await.is_err() {
                return Ok(());
            }
        }
        from = last;
    }
    Ok(())
}

/// Sends every open session of the area in the next 7 days, at `version`.
async fn snapshot(
    state: &AppState,
    area: CenterArea,
    version: u64,
    out: &mpsc::Sender<Event>,
) -> Result<(), DomainError> {
    let today = state.clock.today();
    let now = state.clock.now();
    let found = state
        .store
        .availability(area, today, today + time::Duration::days(6))
        .await?;
    let mut sessions = 0_u64;
    for (center, list) in found.centers {
        for s in list
            .iter()
            .filter(|s| s.bookable_slots(now).next().is_some())
        {
            let json = item_json(version, center.id, s, now)?;
            if out.send(snapshot_item(&json)).await.is_err() {
                return Ok(());
            }
            sessions += 1;
        }
    }
    let end = Event::default()
        .id(version.to_string())
        .event("snapshot")
        .json_data(FeedEvent::Snapshot(SnapshotEnd { version, sessions }))
        .map_err(|e| DomainError::Internal(e.into()))?;
    // A closed channel means the client left; nothing more to do either way.
    let _ = out.send(end).await;
    Ok(())
}

/// `district_id=` or `pincode=`, and optionally `last_event_id=` for clients that cannot set the
/// `Last-Event-ID` header.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// CoWIN district id.
    #[serde(
        default,
        deserialize_with = "crate::http::wire_formats::whole::optional"
    )]
    district_id: Option<i64>,
    /// Six-digit pincode.
    #[param(value_type = Option<crate::http::wire_formats::PincodeText>)]
    pincode: Option<String>,
    /// Resume after this version (the `Last-Event-ID` header wins).
    #[serde(
        default,
        deserialize_with = "crate::http::wire_formats::whole::optional"
    )]
    last_event_id: Option<u64>,
}

/// A live feed of session availability in a district or pincode (Server-Sent Events; public,
/// one call per connection against the address's limit). Each `availability` event carries a
/// session as the calendars show it, with `center_id` and the feed `version`, which is also the
/// event id. A new connection first receives the area's open sessions for the next 7 days
/// (`availability` events without an id) closed by one `snapshot` event whose id is the version
/// they reflect; one that sends `Last-Event-ID` receives exactly the changes after that version
/// instead (or the snapshot, when the log no longer reaches back that far). Changes arrive
/// within a second.
#[utoipa::path(get, path = "/api/v2/appointment/sessions/public/stream", tag = "cowin-v2", params(StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "resume after this feed version")),
    responses((status = 200, content_type = "text/event-stream", body = FeedSseEvent,
            description = "`event: availability`, `id: <version>`, `data: FeedItem`; the snapshot ends with `event: snapshot`, `data: SnapshotEnd`"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn stream_availability(
    _: PublicCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Response, ApiError> {
    let area = match (q.district_id, q.pincode.as_deref()) {
        (Some(d), None) => CenterArea::District(DistrictId(d)),
        (None, Some(p)) => {
            CenterArea::Pincode(Pincode::parse(p).map_err(|e| ApiError::invalid("pincode", e))?)
        }
        _ => {
            return Err(ApiError::invalid(
                "district_id",
                "give district_id or pincode (one of them)",
            ));
        }
    };
    // An empty `Last-Event-ID` is no id (an SSE `id:` line with no value resets the client's).
    let header = headers
        .get("last-event-id")
        .filter(|v| !v.as_bytes().trim_ascii().is_empty());
    let resume = match header {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| ApiError::invalid("Last-Event-ID", "must be a feed version"))?,
        ),
        None => q.last_event_id,
    };
    let batches = state.feed.sender.subscribe();
    Feed::start(&state, false);
    let (tx, rx) = mpsc::channel::<Event>(1024);
    tokio::spawn(async move {
        if let Err(e) = subscriber(state, area, resume, batches, tx).await {
            tracing::warn!(error = %e, "feed: subscriber ended");
        }
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<Event, Infallible>(e), rx))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}
