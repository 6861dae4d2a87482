//! Reference data: the administrative divisions with their CoWIN ids, localities by pincode,
//! genders, photo-ID types and vaccines; and [`ReferenceStore`], their storage contract.

use crate::DomainError;
use crate::ids::{BlockId, DistrictId, LocalityId, StateId};
use crate::values::{GeoPoint, Pincode};
use async_trait::async_trait;
use serde::Serialize;

/// A state or union territory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct State {
    /// CoWIN `state_id`.
    pub id: StateId,
    /// Name as CoWIN spells it.
    pub name: String,
}

/// A district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct District {
    /// CoWIN `district_id`.
    pub id: DistrictId,
    /// The state it lies in.
    pub state_id: StateId,
    /// Name as CoWIN spells it.
    pub name: String,
}

/// A block: the area served by one delivery post office (see `data/README.md` for why).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    /// Block id.
    pub id: BlockId,
    /// The district it lies in.
    pub district_id: DistrictId,
    /// Name.
    pub name: String,
}

/// A locality: one post office's village or town.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Locality {
    /// Locality id.
    pub id: LocalityId,
    /// The post office's name.
    pub name: String,
    /// Its pincode.
    pub pincode: Pincode,
    /// Its block, where the post office's district is known.
    pub block_id: Option<BlockId>,
    /// Its district, where known.
    pub district_id: Option<DistrictId>,
    /// Its position, where the directory gives one.
    pub location: Option<GeoPoint>,
}

/// Where a pincode lies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PincodeArea {
    /// The pincode.
    pub pincode: Pincode,
    /// Its district.
    pub district_id: DistrictId,
    /// Its state.
    pub state_id: StateId,
    /// Its block.
    pub block_id: BlockId,
    /// The mean position of its post offices, where known.
    pub location: Option<GeoPoint>,
}

/// A gender as spec 000 lists them (`getGender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gender {
    /// Gender id.
    pub id: i64,
    /// Its name.
    pub name: &'static str,
}

/// The genders of spec 000, in its order.
pub const GENDERS: [Gender; 3] = [
    Gender {
        id: 1,
        name: "Male",
    },
    Gender {
        id: 2,
        name: "Female",
    },
    Gender {
        id: 3,
        name: "Others",
    },
];

/// A photo-ID document type as spec 000 lists them (`getBeneficiaryIdType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PhotoIdType {
    /// Type id.
    pub id: i64,
    /// Its name, exactly as the spec spells it.
    pub name: &'static str,
    /// The document code, where the spec gives one.
    pub doc_type: Option<&'static str>,
}

const fn id_type(id: i64, name: &'static str, doc_type: Option<&'static str>) -> PhotoIdType {
    PhotoIdType { id, name, doc_type }
}

/// The 13 photo-ID types of spec 000, in its order and spelling.
pub const PHOTO_ID_TYPES: [PhotoIdType; 13] = [
    id_type(1, "Aadhaar Card", None),
    id_type(2, "Driving License", Some("DRVLC")),
    id_type(
        3,
        "Health Insurance Smart Card issued under the scheme of Ministry of Labour",
        None,
    ),
    id_type(4, "MNREGA Job Card", Some("MNRGA")),
    id_type(5, "Official identity cards issued to MPs/MLAs/MLCs", None),
    id_type(6, "PAN Card", Some("PANCR")),
    id_type(7, "Passbooks issued by Bank/Post Office", None),
    id_type(8, "Passport", Some("PSPRT")),
    id_type(9, "Pension Document", None),
    id_type(
        10,
        "Service Identity Card issued to employees by Central/ State Govt./ PSUs/ Public Limited Companies",
        None,
    ),
    id_type(11, "Smart Card issued by RGI under NPR", None),
    id_type(12, "Voter ID", Some("VTRID")),
    id_type(13, "Others(Local Authority)", None),
];

/// Which programme a vaccine belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VaccineProgramme {
    /// The national immunization schedule (children, pregnant women).
    National,
    /// COVID-19 vaccination.
    Covid,
}

impl VaccineProgramme {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::National => "national",
            Self::Covid => "covid",
        }
    }

    /// Reads the stored form.
    pub fn from_stored(s: &str) -> Self {
        if s == "covid" {
            Self::Covid
        } else {
            Self::National
        }
    }
}

/// A vaccine that sessions can offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vaccine {
    /// Short code used as the `vaccinationtypeID`, e.g. `COVISHIELD`, `BCG`, `MR`.
    pub code: String,
    /// Display name, e.g. `Measles-Rubella (MR)`.
    pub name: String,
    /// Its programme.
    pub programme: VaccineProgramme,
}

/// The COVID-19 vaccines CoWIN offered, by the names its v2 API used.
pub const COVID_VACCINES: [(&str, &str); 6] = [
    ("COVISHIELD", "COVISHIELD"),
    ("COVAXIN", "COVAXIN"),
    ("SPUTNIK", "SPUTNIK V"),
    ("ZYCOVD", "ZyCoV-D"),
    ("CORBEVAX", "CORBEVAX"),
    ("COVOVAX", "COVOVAX"),
];

/// A post office's name as a place name: India Post's office suffixes (`BO`, `S.O`, `H.O`, …)
/// dropped and each word capitalised: `"satara city s.o"` → `"Satara City"`.
pub fn post_office_place_name(name: &str) -> String {
    name.split_whitespace()
        .filter(|w| {
            !matches!(
                w.to_ascii_lowercase().trim_matches(['(', ')', '.']),
                "bo" | "so" | "ho" | "b.o" | "s.o" | "h.o"
            )
        })
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Normalises a place name for matching: lower case, letters and digits only, common suffixes
/// ("district", "dist") removed.
pub fn place_key(name: &str) -> String {
    let lowered = name.to_lowercase().replace('&', " and ");
    let words: Vec<String> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "district" | "dist" | "the"))
        .map(str::to_owned)
        .collect();
    words.concat()
}

/// Reference data as the master-data importer writes it.
#[derive(Debug, Clone, Default)]
pub struct MasterData {
    /// States with CoWIN ids.
    pub states: Vec<State>,
    /// Districts with CoWIN ids.
    pub districts: Vec<District>,
    /// Blocks.
    pub blocks: Vec<Block>,
    /// Localities (post offices).
    pub localities: Vec<Locality>,
    /// Vaccines.
    pub vaccines: Vec<Vaccine>,
    /// How each vaccine's doses follow each other.
    pub dose_schedules: Vec<crate::immunization::DoseSchedule>,
    /// The national immunization schedule, as its JSON text.
    pub schedule_json: String,
    /// A fingerprint of the source files, so an unchanged import is skipped.
    pub version: String,
}

/// The storage of reference data: the master-data import and its lookups (places, vaccines).
/// Every method is one atomic operation.
#[async_trait]
pub trait ReferenceStore: Send + Sync {
    /// The version of the master data loaded, if any.
    async fn master_data_version(&self) -> Result<Option<String>, DomainError>;
    /// Replaces the reference data (idempotent: the same data twice leaves one copy).
    async fn import_master_data(&self, data: &MasterData) -> Result<(), DomainError>;
    /// All states.
    async fn states(&self) -> Result<Vec<State>, DomainError>;
    /// All districts.
    async fn districts(&self) -> Result<Vec<District>, DomainError>;
    /// All blocks.
    async fn blocks(&self) -> Result<Vec<Block>, DomainError>;
    /// Where every pincode lies.
    async fn pincode_areas(&self) -> Result<Vec<PincodeArea>, DomainError>;
    /// The localities of a pincode.
    async fn localities(&self, pincode: Pincode) -> Result<Vec<Locality>, DomainError>;
    /// Every locality with a position and a district (for the demo generator).
    async fn located_localities(&self) -> Result<Vec<Locality>, DomainError>;
    /// All vaccines.
    async fn vaccines(&self) -> Result<Vec<Vaccine>, DomainError>;
    /// How each vaccine's doses follow each other.
    async fn dose_schedules(&self) -> Result<Vec<crate::immunization::DoseSchedule>, DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_lists_thirteen_photo_id_types_with_unique_ids() {
        assert_eq!(PHOTO_ID_TYPES.len(), 13);
        for (i, t) in PHOTO_ID_TYPES.iter().enumerate() {
            assert_eq!(t.id, i64::try_from(i).unwrap() + 1);
        }
        assert_eq!(PHOTO_ID_TYPES[11].doc_type, Some("VTRID"));
    }

    #[test]
    fn place_keys_ignore_case_punctuation_and_suffixes() {
        assert_eq!(place_key("Y.S.R. District"), "ysr");
        assert_eq!(place_key("Jammu & Kashmir"), place_key("Jammu and Kashmir"));
        assert_eq!(place_key("The Nilgiris"), "nilgiris");
    }
}
