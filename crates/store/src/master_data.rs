//! Reads the master data shipped in `data/` (compiled into the binary) into [`MasterData`]:
//! CoWIN states and districts, post offices as localities, derived blocks and pincodes, vaccines.
//! `data/README.md` explains how the post-office directory is mapped onto CoWIN districts.

use sehat_domain::ids::{BlockId, DistrictId, LocalityId, StateId};
use sehat_domain::immunization::{COVID_SERIES, DoseSchedule};
use sehat_domain::master::{
    Block, COVID_VACCINES, District, Locality, MasterData, State, Vaccine, VaccineProgramme,
    place_key, post_office_place_name,
};
use sehat_domain::values::{GeoPoint, Pincode};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};

const COWIN_DISTRICTS_CSV: &[u8] = include_bytes!("../../../data/cowin_states_districts.csv");
const POST_OFFICES_JSONL_GZ: &[u8] =
    include_bytes!("../../../data/india_post_offices_2025-01.jsonl.gz");
const SCHEDULE_JSON: &str = include_str!("../../../data/national_immunization_schedule.json");
const COVID_DOSES_JSON: &str = include_str!("../../../data/covid_vaccine_doses.json");

/// Postal district names that are renamed, respelt or carved out of the district CoWIN knows,
/// as (state key, postal district key, CoWIN district name). New districts map to their parent.
const DISTRICT_ALIASES: [(&str, &str, &str); 42] = [
    (
        "andhrapradesh",
        "spsrnellore",
        "Sri Potti Sriramulu Nellore",
    ),
    ("andhrapradesh", "ysr", "YSR District, Kadapa (Cuddapah)"),
    ("karnataka", "shivamogga", "Shimoga"),
    ("punjab", "firozepur", "Ferozpur"),
    ("jharkhand", "saraikelakharsawan", "Seraikela Kharsawan"),
    ("uttarpradesh", "budaun", "Badaun"),
    ("ladakh", "lehladakh", "Leh"),
    ("gujarat", "ahmadabad", "Ahmedabad"),
    ("assam", "kamrup", "Kamrup Rural"),
    ("bihar", "pashchimchamparan", "West Champaran"),
    ("bihar", "purbichamparan", "East Champaran"),
    ("chhattisgarh", "kabirdham", "Kawardha"),
    ("chhattisgarh", "korea", "Koriya"),
    ("gujarat", "dohad", "Dahod"),
    ("gujarat", "kachchh", "Kutch"),
    ("gujarat", "mahesana", "Mehsana"),
    ("haryana", "gurugram", "Gurgaon"),
    ("karnataka", "ballari", "Bellary"),
    ("karnataka", "belagavi", "Belgaum"),
    ("karnataka", "bengalururural", "Bangalore Rural"),
    ("karnataka", "bengaluruurban", "Bangalore Urban"),
    ("karnataka", "kalaburagi", "Gulbarga"),
    ("karnataka", "mysuru", "Mysore"),
    ("madhyapradesh", "eastnimar", "Khandwa"),
    ("madhyapradesh", "niwari", "Tikamgarh"),
    ("mizoram", "aizawl", "Aizawl East"),
    ("mizoram", "saiha", "Siaha"),
    ("mizoram", "hnahthial", "Lunglei"),
    ("mizoram", "khawzawl", "Champhai"),
    ("mizoram", "saitual", "Aizawl East"),
    ("nagaland", "noklak", "Tuensang"),
    ("odisha", "baleshwar", "Balasore"),
    ("odisha", "khordha", "Khurda"),
    ("odisha", "sonepur", "Subarnapur"),
    ("puducherry", "pondicherry", "Puducherry"),
    ("punjab", "malerkotla", "Sangrur"),
    ("punjab", "shahidbhagatsinghnagar", "SBS Nagar"),
    ("rajasthan", "jaipur", "Jaipur I"),
    ("tamilnadu", "mayiladuthurai", "Nagapattinam"),
    ("westbengal", "24paraganasnorth", "North 24 Parganas"),
    ("westbengal", "24paraganassouth", "South 24 Parganas"),
    ("westbengal", "coochbehar", "Cooch Behar"),
];

/// More West Bengal spellings (kept apart to keep the table above readable).
const WEST_BENGAL_ALIASES: [(&str, &str); 6] = [
    ("dinajpurdakshin", "Dakshin Dinajpur"),
    ("dinajpuruttar", "Uttar Dinajpur"),
    ("medinipureast", "Purba Medinipore"),
    ("medinipurwest", "Paschim Medinipore"),
    ("paschimbardhaman", "West Bardhaman"),
    ("purbabardhaman", "East Bardhaman"),
];

/// What the import could not place, for the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Distinct (state, district) pairs of the post-office directory.
    pub postal_districts: usize,
    /// Of those, how many matched no CoWIN district.
    pub unmatched_districts: Vec<String>,
    /// Post offices in the unmatched districts (their pincodes are not offered).
    pub unmatched_post_offices: usize,
    /// Post offices read.
    pub post_offices: usize,
}

/// The version of the shipped master data: a fingerprint of its source files, cheap to compute,
/// so a start against an up-to-date database skips parsing them.
pub fn shipped_version() -> String {
    format!(
        "cowin:{}+po:{}+nis:{}",
        fingerprint(COWIN_DISTRICTS_CSV),
        fingerprint(POST_OFFICES_JSONL_GZ),
        fingerprint(SCHEDULE_JSON.as_bytes()),
    ) + &format!("+doses:{}", fingerprint(COVID_DOSES_JSON.as_bytes()))
}

/// Master data read from the shipped files, with the district-matching report.
pub fn shipped() -> Result<(MasterData, MatchReport), String> {
    let (states, districts) = read_cowin_districts(COWIN_DISTRICTS_CSV)?;
    let offices = read_post_offices(POST_OFFICES_JSONL_GZ)?;
    let (blocks, localities, report) = place_post_offices(&states, &districts, offices);
    let vaccines = read_vaccines(SCHEDULE_JSON)?;
    let dose_schedules = read_dose_schedules(SCHEDULE_JSON, COVID_DOSES_JSON)?;
    let version = shipped_version();
    Ok((
        MasterData {
            states,
            districts,
            blocks,
            localities,
            vaccines,
            dose_schedules,
            schedule_json: SCHEDULE_JSON.to_owned(),
            version,
        },
        report,
    ))
}

/// FNV-1a: a stable fingerprint of a source file, to skip re-importing unchanged data.
fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn read_cowin_districts(csv_bytes: &[u8]) -> Result<(Vec<State>, Vec<District>), String> {
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let mut states = BTreeMap::new();
    let mut districts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("cowin_states_districts.csv: {e}"))?;
        let num = |i: usize| -> Result<i64, String> {
            record
                .get(i)
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| format!("cowin_states_districts.csv: bad id in {record:?}"))
        };
        let text = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
        let state_id = StateId(num(0)?);
        states.entry(state_id).or_insert_with(|| State {
            id: state_id,
            name: text(3),
        });
        districts.push(District {
            id: DistrictId(num(1)?),
            state_id,
            name: text(2),
        });
    }
    districts.sort_by_key(|d| d.id);
    Ok((states.into_values().collect(), districts))
}

/// One post office as the directory has it.
#[derive(Debug, Clone, PartialEq)]
struct PostOffice {
    name: String,
    branch_type: String,
    state: String,
    district: String,
    pincode: Pincode,
    location: Option<GeoPoint>,
}

fn read_post_offices(gz: &[u8]) -> Result<Vec<PostOffice>, String> {
    let reader = BufReader::new(flate2::read::GzDecoder::new(gz));
    let mut out = Vec::with_capacity(160_000);
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("post offices: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(office) =
            parse_post_office(&line).map_err(|e| format!("post offices line {}: {e}", n + 1))?
        {
            out.push(office);
        }
    }
    Ok(out)
}

/// Parses one directory line; `None` for a line without a usable pincode.
fn parse_post_office(line: &str) -> Result<Option<PostOffice>, String> {
    // The directory writes Python's bare NaN for missing values; JSON has no such token.
    let line = line
        .replace(": NaN,", ": null,")
        .replace(": NaN}", ": null}");
    let value: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&line).map_err(|e| e.to_string())?;
    let get = |key: &str| {
        value
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    };
    let text = |key: &str| match get(key) {
        Some(serde_json::Value::String(s)) if s != "nan" && s != "NA" => s.trim().to_owned(),
        _ => String::new(),
    };
    let number = |key: &str| match get(key) {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let Some(pincode) = number("pincode").and_then(|p| Pincode::from_number(p as i64).ok()) else {
        return Ok(None);
    };
    let location = match (number("latitude"), number("longitude")) {
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon).ok(),
        _ => None,
    };
    Ok(Some(PostOffice {
        name: text("name"),
        branch_type: text("branchtype").to_ascii_uppercase(),
        state: text("state"),
        district: text("district"),
        pincode,
        location,
    }))
}

/// Matches postal (state, district) names onto CoWIN districts.
struct DistrictMatcher<'a> {
    states: Vec<(String, &'a State)>,
    by_state: HashMap<StateId, Vec<(String, &'a District)>>,
}

impl<'a> DistrictMatcher<'a> {
    fn new(states: &'a [State], districts: &'a [District]) -> Self {
        let mut by_state: HashMap<StateId, Vec<(String, &District)>> = HashMap::new();
        for d in districts {
            by_state
                .entry(d.state_id)
                .or_default()
                .push((place_key(&d.name), d));
        }
        Self {
            states: states.iter().map(|s| (place_key(&s.name), s)).collect(),
            by_state,
        }
    }

    fn find(&self, state: &str, district: &str) -> Option<DistrictId> {
        let state_key = place_key(state);
        let key = place_key(district);
        if key.is_empty() {
            return None;
        }
        // "The Dadra And Nagar Haveli And Daman And Diu" spans two CoWIN states.
        let candidates: Vec<&(String, &District)> = self
            .states
            .iter()
            .filter(|(k, _)| !k.is_empty() && state_key.contains(k.as_str()))
            .flat_map(|(_, s)| self.by_state.get(&s.id).into_iter().flatten())
            .collect();
        let exact = |k: &str| candidates.iter().find(|(ck, _)| ck == k).map(|(_, d)| d.id);
        if let Some(id) = exact(&key).or_else(|| exact(&format!("{key}{state_key}"))) {
            return Some(id);
        }
        let alias = DISTRICT_ALIASES
            .iter()
            .filter(|(s, _, _)| *s == state_key)
            .map(|(_, k, name)| (*k, *name))
            .chain(
                WEST_BENGAL_ALIASES
                    .iter()
                    .filter(|_| state_key == "westbengal")
                    .copied(),
            )
            .find(|(k, _)| *k == key);
        if let Some((_, name)) = alias {
            return exact(&place_key(name));
        }
        let containing: Vec<DistrictId> = candidates
            .iter()
            .filter(|(ck, _)| {
                ck.len() >= 4 && key.len() >= 4 && (ck.contains(&key) || key.contains(ck.as_str()))
            })
            .map(|(_, d)| d.id)
            .collect();
        if let [only] = containing.as_slice() {
            return Some(*only);
        }
        // Close spelling: the best-scoring district, if clearly better than the runner-up.
        let mut scored: Vec<(f64, DistrictId)> = candidates
            .iter()
            .map(|(ck, d)| (strsim::jaro_winkler(ck, &key), d.id))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        match scored.as_slice() {
            [(best, id), rest @ ..]
                if *best >= 0.9 && rest.first().is_none_or(|(second, _)| best - second >= 0.03) =>
            {
                Some(*id)
            }
            _ => None,
        }
    }
}

/// Turns post offices into localities and blocks on CoWIN districts.
fn place_post_offices(
    states: &[State],
    districts: &[District],
    mut offices: Vec<PostOffice>,
) -> (Vec<Block>, Vec<Locality>, MatchReport) {
    let matcher = DistrictMatcher::new(states, districts);
    let mut report = MatchReport {
        post_offices: offices.len(),
        ..MatchReport::default()
    };
    let mut matched: HashMap<(String, String), Option<DistrictId>> = HashMap::new();
    for o in &offices {
        matched
            .entry((o.state.clone(), o.district.clone()))
            .or_insert_with(|| matcher.find(&o.state, &o.district));
    }
    report.postal_districts = matched.len();
    report.unmatched_districts = matched
        .iter()
        .filter(|(_, id)| id.is_none())
        .map(|((s, d), _)| format!("{d} ({s})"))
        .collect();
    report.unmatched_districts.sort();
    let district_of = |o: &PostOffice| {
        matched
            .get(&(o.state.clone(), o.district.clone()))
            .copied()
            .flatten()
    };
    report.unmatched_post_offices = offices.iter().filter(|o| district_of(o).is_none()).count();

    // Blocks: one per (district, pincode) delivery area, named after its head or sub office;
    // areas of one district that share that name share the block.
    offices.sort_by(|a, b| (a.pincode, &a.name).cmp(&(b.pincode, &b.name)));
    let mut area_head: BTreeMap<(DistrictId, Pincode), &PostOffice> = BTreeMap::new();
    for o in &offices {
        let Some(d) = district_of(o) else { continue };
        let rank = |o: &PostOffice| match o.branch_type.as_str() {
            "HO" => 0,
            "PO" | "SO" => 1,
            _ => 2,
        };
        area_head
            .entry((d, o.pincode))
            .and_modify(|head| {
                if rank(o) < rank(head) {
                    *head = o;
                }
            })
            .or_insert(o);
    }
    let block_names: BTreeSet<(DistrictId, String)> = area_head
        .iter()
        .map(|((d, _), head)| (*d, post_office_place_name(&head.name)))
        .collect();
    let block_ids: HashMap<(DistrictId, String), BlockId> = block_names
        .iter()
        .enumerate()
        .map(|(i, key)| {
            (
                key.clone(),
                BlockId(i64::try_from(i).unwrap_or(i64::MAX) + 1),
            )
        })
        .collect();
    let blocks = block_names
        .into_iter()
        .map(|(district_id, name)| Block {
            id: block_ids[&(district_id, name.clone())],
            district_id,
            name,
        })
        .collect();
    let localities = offices
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let district_id = district_of(o);
            let block_id = district_id.and_then(|d| {
                let head = area_head.get(&(d, o.pincode))?;
                block_ids
                    .get(&(d, post_office_place_name(&head.name)))
                    .copied()
            });
            Locality {
                id: LocalityId(i64::try_from(i).unwrap_or(i64::MAX) + 1),
                name: o.name.clone(),
                pincode: o.pincode,
                block_id,
                district_id,
                location: o.location,
            }
        })
        .collect();
    (blocks, localities, report)
}

/// A short code for each vaccine of the national schedule, as `vaccinationtypeID` carries it.
fn vaccine_code(name: &str) -> String {
    let known = [
        ("Hepatitis B", "HEPB"),
        ("Japanese Encephalitis", "JE"),
        ("Measles-Rubella", "MR"),
        ("Pentavalent", "PENTA"),
        ("Rotavirus", "RVV"),
        ("Vitamin A", "VITA"),
        ("fIPV", "FIPV"),
    ];
    known
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map_or_else(
            || {
                name.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_uppercase()
            },
            |(_, code)| (*code).to_owned(),
        )
}

/// One dose of the national schedule's chart, as far as sehat reads it.
#[derive(serde::Deserialize)]
struct ScheduleEntry {
    vaccine: String,
    due_from: Option<String>,
}

/// The chart's doses, in its order.
fn schedule_entries(schedule_json: &str) -> Result<Vec<ScheduleEntry>, String> {
    #[derive(serde::Deserialize)]
    struct Schedule {
        schedule: Vec<ScheduleEntry>,
    }
    serde_json::from_str::<Schedule>(schedule_json)
        .map(|s| s.schedule)
        .map_err(|e| format!("national_immunization_schedule.json: {e}"))
}

fn read_vaccines(schedule_json: &str) -> Result<Vec<Vaccine>, String> {
    let mut vaccines: BTreeMap<String, Vaccine> = BTreeMap::new();
    for entry in schedule_entries(schedule_json)? {
        let code = vaccine_code(&entry.vaccine);
        vaccines.entry(code.clone()).or_insert(Vaccine {
            code,
            name: entry.vaccine,
            programme: VaccineProgramme::National,
        });
    }
    for (code, name) in COVID_VACCINES {
        vaccines.insert(
            code.to_owned(),
            Vaccine {
                code: code.to_owned(),
                name: name.to_owned(),
                programme: VaccineProgramme::Covid,
            },
        );
    }
    Ok(vaccines.into_values().collect())
}

/// The least interval the national schedule allows between doses of one vaccine when a child
/// catches up on missed doses: four weeks.
const CATCH_UP_DAYS: u16 = 28;

/// Days in a schedule age such as `P6W` or `P9M` (months of 30 days, years of 365); `None` for the
/// chart's words ("early pregnancy").
fn schedule_age_days(text: &str) -> Option<u32> {
    let body = text.strip_prefix('P')?;
    let unit = body.chars().last()?;
    let n: u32 = body.get(..body.len() - 1)?.parse().ok()?;
    let per = match unit {
        'D' => 1,
        'W' => 7,
        'M' => 30,
        'Y' => 365,
        _ => return None,
    };
    n.checked_mul(per)
}

/// How each vaccine's doses follow each other: the COVID vaccines from their file, the national
/// schedule's vaccines from its chart — the doses of a vaccine in the chart's order, each at
/// least the chart's spacing after the previous one, but never more than the four weeks a
/// catch-up dose needs (a late dose is better than none), four weeks where the chart gives no age.
fn read_dose_schedules(schedule_json: &str, covid_json: &str) -> Result<Vec<DoseSchedule>, String> {
    #[derive(serde::Deserialize)]
    struct Covid {
        vaccines: Vec<CovidVaccine>,
    }
    #[derive(serde::Deserialize)]
    struct CovidVaccine {
        code: String,
        manufacturer: String,
        total_doses: u8,
        min_days_between: Vec<u16>,
        precaution_after_days: Option<u16>,
    }
    let mut by_code: BTreeMap<String, Vec<Option<u32>>> = BTreeMap::new();
    for entry in schedule_entries(schedule_json)? {
        by_code
            .entry(vaccine_code(&entry.vaccine))
            .or_default()
            .push(entry.due_from.as_deref().and_then(schedule_age_days));
    }
    let mut out: Vec<DoseSchedule> = by_code
        .into_iter()
        .map(|(code, ages)| {
            let min_days_between = ages
                .windows(2)
                .map(|pair| match (pair[0], pair[1]) {
                    (Some(a), Some(b)) => u16::try_from(b.saturating_sub(a))
                        .unwrap_or(u16::MAX)
                        .min(CATCH_UP_DAYS),
                    _ => CATCH_UP_DAYS,
                })
                .collect();
            DoseSchedule {
                series: code.clone(),
                vaccine_code: code,
                manufacturer: String::new(),
                total_doses: u8::try_from(ages.len()).unwrap_or(u8::MAX).min(9),
                min_days_between,
                precaution_after_days: None,
            }
        })
        .collect();
    let covid: Covid =
        serde_json::from_str(covid_json).map_err(|e| format!("covid_vaccine_doses.json: {e}"))?;
    for v in covid.vaccines {
        if !COVID_VACCINES.iter().any(|(code, _)| *code == v.code) {
            return Err(format!(
                "covid_vaccine_doses.json: unknown vaccine {}",
                v.code
            ));
        }
        if v.total_doses == 0 || usize::from(v.total_doses) != v.min_days_between.len() + 1 {
            return Err(format!(
                "covid_vaccine_doses.json: {} needs one interval between each two of its doses",
                v.code
            ));
        }
        out.push(DoseSchedule {
            vaccine_code: v.code,
            series: COVID_SERIES.to_owned(),
            manufacturer: v.manufacturer,
            total_doses: v.total_doses,
            min_days_between: v.min_days_between,
            precaution_after_days: v.precaution_after_days,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_lines_with_nan_and_lower_case_keys_parse() {
        let line = r#"{"circle": "Bihar", "name": "Ramapur bo", "pincode": 802312, "branchtype": "BO", "district": NaN, "state": NaN, "latitude": "        25.5577", "longitude": 84.640526}"#;
        let office = parse_post_office(line).unwrap().unwrap();
        assert_eq!(office.district, "");
        assert_eq!(office.pincode.get(), 802312);
        assert!((office.location.unwrap().lat() - 25.5577).abs() < 1e-9);
        let upper = r#"{"Name": "Nagur", "Pincode": 413608, "BranchType": "BO", "District": "Osmanabad", "State": "Maharashtra", "Latitude": NaN, "Longitude": NaN}"#;
        let office = parse_post_office(upper).unwrap().unwrap();
        assert_eq!(office.district, "Osmanabad");
        assert!(office.location.is_none());
    }

    #[test]
    fn postal_district_names_match_cowin_districts() {
        let (states, districts) = read_cowin_districts(COWIN_DISTRICTS_CSV).unwrap();
        assert_eq!(states.len(), 37);
        assert_eq!(districts.len(), 756);
        let m = DistrictMatcher::new(&states, &districts);
        let name = |s, d| {
            m.find(s, d)
                .and_then(|id| districts.iter().find(|x| x.id == id))
                .map(|x| x.name.as_str())
        };
        assert_eq!(name("Maharashtra", "Satara"), Some("Satara"));
        assert_eq!(name("Delhi", "North East"), Some("North East Delhi"));
        assert_eq!(name("Haryana", "Gurugram"), Some("Gurgaon"));
        assert_eq!(name("Karnataka", "Chikkamagaluru"), Some("Chikamagalur"));
        assert_eq!(
            name("The Dadra And Nagar Haveli And Daman And Diu", "Diu"),
            Some("Diu")
        );
        assert_eq!(name("Maharashtra", "Atlantis"), None);
        assert_eq!(name("", ""), None);
    }

    #[test]
    fn office_names_lose_postal_suffixes() {
        assert_eq!(post_office_place_name("satara city s.o"), "Satara City");
        assert_eq!(post_office_place_name("Ramapur bo"), "Ramapur");
    }

    #[test]
    fn the_schedule_yields_national_and_covid_vaccines() {
        let vaccines = read_vaccines(SCHEDULE_JSON).unwrap();
        let codes: Vec<&str> = vaccines.iter().map(|v| v.code.as_str()).collect();
        for code in [
            "BCG",
            "MR",
            "OPV",
            "PENTA",
            "TD",
            "HEPB",
            "COVISHIELD",
            "COVAXIN",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
    }

    #[test]
    fn the_shipped_directory_maps_onto_cowin_districts() {
        let (data, report) = shipped().unwrap();
        assert_eq!(report.post_offices, 157_191);
        assert!(
            report.unmatched_districts.len() <= 1,
            "unmatched: {:?}",
            report.unmatched_districts
        );
        assert!(data.localities.len() == 157_191);
        assert!(data.blocks.len() > 10_000, "{}", data.blocks.len());
        // Pune's district id in CoWIN is 363; Shivajinagar's pincode lies in it.
        let pune = data
            .localities
            .iter()
            .find(|l| l.pincode.get() == 411005)
            .and_then(|l| l.district_id);
        assert_eq!(pune, Some(DistrictId(363)));
    }

    #[test]
    fn every_vaccine_has_a_dose_schedule_and_the_intervals_are_the_charts() {
        let vaccines = read_vaccines(SCHEDULE_JSON).unwrap();
        let schedules = read_dose_schedules(SCHEDULE_JSON, COVID_DOSES_JSON).unwrap();
        let codes: Vec<&str> = schedules.iter().map(|s| s.vaccine_code.as_str()).collect();
        for v in &vaccines {
            assert!(
                codes.contains(&v.code.as_str()),
                "{} has no schedule",
                v.code
            );
        }
        let of = |code: &str| schedules.iter().find(|s| s.vaccine_code == code).unwrap();
        let covishield = of("COVISHIELD");
        assert_eq!(
            (
                covishield.series.as_str(),
                covishield.total_doses,
                covishield.min_days_between.as_slice()
            ),
            (COVID_SERIES, 2, &[56_u16][..])
        );
        assert_eq!(covishield.precaution_after_days, Some(182));
        assert_eq!(of("ZYCOVD").total_doses, 3);
        // Pentavalent at 6, 10 and 14 weeks: four weeks apart.
        let penta = of("PENTA");
        assert_eq!(
            (penta.total_doses, penta.min_days_between.as_slice()),
            (3, &[28_u16, 28][..])
        );
        // OPV at birth, 6, 10, 14 weeks and 16 months: the six weeks after birth are capped at
        // the four-week catch-up interval.
        let opv = of("OPV");
        assert_eq!(
            (opv.total_doses, opv.min_days_between.as_slice()),
            (5, &[28_u16, 28, 28, 28][..])
        );
        assert_eq!(opv.series, "OPV");
        assert_eq!(schedule_age_days("P16M"), Some(480));
        assert_eq!(schedule_age_days("early pregnancy"), None);
    }
}
