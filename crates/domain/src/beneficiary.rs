//! Beneficiaries: the people registered under a mobile number, with the value types their
//! registration is checked with (reference id, birth year, gender, photo-ID numbers by type); and
//! [`BeneficiaryStore`], their storage contract.

use crate::DomainError;
use crate::identity::{IdentityKey, MobileHash, Sealed};
use crate::ids::{BlockId, DistrictId, LocalityId, StateId};
use crate::master::{GENDERS, PHOTO_ID_TYPES};
use crate::values::{Mobile, Name, Pincode, mask_tail};
use async_trait::async_trait;
use serde::Serialize;
use std::fmt;

/// A beneficiary reference id: 14 digits, as spec 000's `21363381933156`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct BeneficiaryRef(i64);

impl BeneficiaryRef {
    /// The smallest and largest 14-digit numbers.
    pub const RANGE: std::ops::RangeInclusive<i64> = 10_000_000_000_000..=99_999_999_999_999;

    /// Checks a number has 14 digits.
    pub fn new(n: i64) -> Result<Self, &'static str> {
        if Self::RANGE.contains(&n) {
            Ok(Self(n))
        } else {
            Err("must be a 14-digit beneficiary reference id")
        }
    }

    /// A fresh random reference id from a CSPRNG (rand's ChaCha, seeded by the OS), so ids cannot be guessed.
    pub fn random() -> Self {
        use rand::Rng;
        Self(rand::rng().random_range(Self::RANGE))
    }

    /// The number.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for BeneficiaryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A year of birth between 1900 and this year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct BirthYear(i32);

impl BirthYear {
    /// Checks the year lies between 1900 and `this_year`.
    pub fn new(year: i32, this_year: i32) -> Result<Self, &'static str> {
        if (1900..=this_year).contains(&year) {
            Ok(Self(year))
        } else {
            Err("must be a year between 1900 and this year")
        }
    }

    /// Parses `"1980"`.
    pub fn parse(raw: &str, this_year: i32) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.len() != 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be a four-digit year");
        }
        Self::new(
            raw.parse().map_err(|_| "must be a four-digit year")?,
            this_year,
        )
    }

    /// The year.
    pub fn get(self) -> i32 {
        self.0
    }

    /// Age in years as CoWIN reckons it: this year minus the birth year.
    pub fn age_in(self, year: i32) -> i32 {
        year - self.0
    }
}

/// One of spec 000's genders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GenderId(i64);

impl GenderId {
    /// By id (1 Male, 2 Female, 3 Others).
    pub fn from_id(id: i64) -> Result<Self, &'static str> {
        GENDERS
            .iter()
            .find(|g| g.id == id)
            .map(|g| Self(g.id))
            .ok_or("must be 1 (Male), 2 (Female) or 3 (Others)")
    }

    /// By name, ignoring case (`"Male"`, `"female"`, `"Others"`, also `M`/`F`/`O`).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        GENDERS
            .iter()
            .find(|g| {
                g.name.eq_ignore_ascii_case(raw)
                    || (raw.len() == 1 && g.name[..1].eq_ignore_ascii_case(raw))
                    || (g.id == 3 && raw.eq_ignore_ascii_case("other"))
            })
            .map(|g| Self(g.id))
            .ok_or("must be Male, Female or Others")
    }

    /// The id.
    pub fn id(self) -> i64 {
        self.0
    }

    /// The name as spec 000 spells it.
    pub fn name(self) -> &'static str {
        GENDERS
            .iter()
            .find(|g| g.id == self.0)
            .map_or("Others", |g| g.name)
    }
}

/// A photo-ID document: its type (spec 000's ids 1–13) and a number valid for that type.
/// `Debug` masks the number.
#[derive(Clone, PartialEq, Eq)]
pub struct PhotoId {
    type_id: i64,
    number: String,
}

impl fmt::Debug for PhotoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhotoId({}, {})", self.type_id, self.masked())
    }
}

impl PhotoId {
    /// Validates `number` by the rules of document type `type_id`.
    pub fn parse(type_id: i64, number: &str) -> Result<Self, DomainError> {
        if !PHOTO_ID_TYPES.iter().any(|t| t.id == type_id) {
            return Err(DomainError::invalid(
                "photo_id_type",
                "must be a photo-ID type id from 1 to 13",
            ));
        }
        let number: String = number
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        let check = match type_id {
            1 => aadhaar(&number),
            2 => driving_licence(&number),
            6 => pan(&number),
            8 => passport(&number),
            12 => voter_id(&number),
            _ => generic(&number),
        };
        check.map_err(|reason| DomainError::invalid("photo_id_number", reason))?;
        Ok(Self { type_id, number })
    }

    /// The document type id.
    pub fn type_id(&self) -> i64 {
        self.type_id
    }

    /// The normalised number, for hashing only.
    pub fn expose(&self) -> &str {
        &self.number
    }

    /// The last four characters.
    pub fn last4(&self) -> String {
        crate::values::last4(&self.number)
    }

    /// The masked form responses show: `*****9999`.
    pub fn masked(&self) -> String {
        mask_tail(&self.number)
    }
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

/// Aadhaar: 12 digits, not starting with 0 or 1, with a valid Verhoeff check digit.
fn aadhaar(n: &str) -> Result<(), &'static str> {
    if n.len() != 12 || !all(n, |b| b.is_ascii_digit()) {
        return Err("an Aadhaar number has 12 digits");
    }
    if n.starts_with(['0', '1']) {
        return Err("an Aadhaar number does not start with 0 or 1");
    }
    if !verhoeff_valid(n) {
        return Err("the Aadhaar number's check digit is wrong");
    }
    Ok(())
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// The Verhoeff checksum (dihedral group D5), which Aadhaar numbers carry in their last digit.
pub fn verhoeff_valid(digits: &str) -> bool {
    let mut c = 0_u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][usize::from(b - b'0')])];
    }
    c == 0
}

/// PAN: five letters, four digits, one letter; the fourth letter is the holder type
/// (P for a person, among C H F A T B L J G).
fn pan(n: &str) -> Result<(), &'static str> {
    let b = n.as_bytes();
    let shape = b.len() == 10
        && b[..5].iter().all(u8::is_ascii_uppercase)
        && b[5..9].iter().all(u8::is_ascii_digit)
        && b[9].is_ascii_uppercase();
    if !shape {
        return Err("a PAN has the form ABCDE1234F");
    }
    if !b"PCHFATBLJG".contains(&b[3]) {
        return Err("a PAN's fourth letter must be a holder type (P for a person)");
    }
    Ok(())
}

/// Indian passport: one letter then seven digits, the first digit not 0.
fn passport(n: &str) -> Result<(), &'static str> {
    let b = n.as_bytes();
    if b.len() == 8
        && b[0].is_ascii_uppercase()
        && b[1..].iter().all(u8::is_ascii_digit)
        && b[1] != b'0'
    {
        Ok(())
    } else {
        Err("a passport number has the form A1234567")
    }
}

/// Voter ID (EPIC): three letters then seven digits.
fn voter_id(n: &str) -> Result<(), &'static str> {
    let b = n.as_bytes();
    if b.len() == 10
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && b[3..].iter().all(u8::is_ascii_digit)
    {
        Ok(())
    } else {
        Err("a voter ID has the form ABC1234567")
    }
}

/// Driving licence: state code (two letters), RTO code (two digits), then the year of issue
/// (four digits) and a seven-digit number: 15 characters once spaces and dashes are removed.
fn driving_licence(n: &str) -> Result<(), &'static str> {
    let b = n.as_bytes();
    let ok = b.len() == 15
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..].iter().all(u8::is_ascii_digit)
        && matches!(&n[4..6], "19" | "20");
    if ok {
        Ok(())
    } else {
        Err("a driving licence number has the form MH1220110012345")
    }
}

/// Other documents: 4–20 letters and digits.
fn generic(n: &str) -> Result<(), &'static str> {
    if (4..=20).contains(&n.len()) && all(n, |b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err("must be 4-20 letters and digits")
    }
}

/// Where a beneficiary lives; every part optional, as spec 000's sample sends nulls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    /// State.
    pub state_id: Option<StateId>,
    /// District.
    pub district_id: Option<DistrictId>,
    /// Block.
    pub block_id: Option<BlockId>,
    /// Locality (post office).
    pub locality_id: Option<LocalityId>,
    /// Pincode.
    pub pincode: Option<Pincode>,
    /// Free text.
    pub line: String,
}

/// A registration, validated except for the cross-checks that need reference data.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBeneficiary {
    /// Name.
    pub name: Name,
    /// Year of birth.
    pub birth_year: BirthYear,
    /// Gender.
    pub gender: GenderId,
    /// Photo ID.
    pub photo_id: PhotoId,
    /// Address.
    pub address: Address,
    /// Whether the person reports a comorbidity (CoWIN v2).
    pub comorbidity: bool,
}

/// A beneficiary as stored. Identifiers are held only as keyed hashes and last four digits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Beneficiary {
    /// Reference id.
    pub reference_id: BeneficiaryRef,
    /// Name.
    pub name: String,
    /// Year of birth.
    pub birth_year: i32,
    /// Gender.
    pub gender: GenderId,
    /// Last four digits of the registered mobile.
    pub mobile_last4: String,
    /// Photo-ID type.
    pub photo_id_type: i64,
    /// Last four characters of the photo-ID number.
    pub photo_id_last4: String,
    /// State (id and name), if given.
    pub state: Option<(StateId, String)>,
    /// District, if given.
    pub district: Option<(DistrictId, String)>,
    /// Block, if given.
    pub block: Option<(BlockId, String)>,
    /// Locality, if given.
    pub locality: Option<(LocalityId, String)>,
    /// Pincode, if given.
    pub pincode: Option<Pincode>,
    /// Address line.
    pub address: String,
    /// Comorbidity reported.
    pub comorbidity: bool,
}

impl Beneficiary {
    /// `*****1403`.
    pub fn masked_mobile(&self) -> String {
        mask_tail(&self.mobile_last4)
    }

    /// `*****9999`.
    pub fn masked_photo_id(&self) -> String {
        mask_tail(&self.photo_id_last4)
    }

    /// The photo ID's type as spec 000 names it (`PAN Card`).
    pub fn photo_id_type_name(&self) -> &'static str {
        crate::master::PHOTO_ID_TYPES
            .iter()
            .find(|t| t.id == self.photo_id_type)
            .map_or("", |t| t.name)
    }

    /// The photo ID as documents print it: its type and the masked number
    /// (`PAN Card *****234F`).
    pub fn photo_id_line(&self) -> String {
        format!("{} {}", self.photo_id_type_name(), self.masked_photo_id())
    }
}

/// A registration ready to store: the validated person, with identifiers already hashed.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The reference id to give (the store retries with another if taken).
    pub reference_id: BeneficiaryRef,
    /// The family's mobile.
    pub account: MobileHash,
    /// Its last four digits (empty when the account exists already).
    pub mobile_last4: String,
    /// The mobile, sealed for storage (when it came with the request).
    pub mobile_sealed: Option<Sealed>,
    /// The person.
    pub person: NewBeneficiary,
    /// The keyed hash of the photo-ID number.
    pub photo_id_hash: String,
    /// The photo-ID number, sealed for storage.
    pub photo_id_sealed: Sealed,
}

impl Registration {
    /// A registration of `person` in the family of `mobile` (given in the request: the account
    /// is made if new) or of an existing `account`, with its identifiers hashed and sealed.
    pub fn new(
        key: &IdentityKey,
        reference_id: BeneficiaryRef,
        family: Result<&Mobile, MobileHash>,
        person: NewBeneficiary,
    ) -> Self {
        let photo_id_hash = key.photo_id_hash(person.photo_id.type_id(), person.photo_id.expose());
        let photo_id_sealed = key.seal("photo-id", &photo_id_hash, person.photo_id.expose());
        let (account, mobile_last4, mobile_sealed) = match family {
            Ok(mobile) => {
                let account = key.mobile_hash(mobile);
                let sealed = key.seal("mobile", account.as_str(), mobile.expose());
                (account, crate::values::last4(mobile.expose()), Some(sealed))
            }
            Err(account) => (account, String::new(), None),
        };
        Self {
            reference_id,
            account,
            mobile_last4,
            mobile_sealed,
            person,
            photo_id_hash,
            photo_id_sealed,
        }
    }
}

/// The storage of beneficiaries: the people of an account (a mobile), registered, changed, read
/// and removed. Every method is one atomic operation; reads of personal data by an admin or a
/// partner leave an audit record.
#[async_trait]
pub trait BeneficiaryStore: Send + Sync {
    /// Registers a beneficiary under a mobile, at most `max_members` per mobile, one per photo ID.
    async fn register_beneficiary(
        &self,
        registration: &Registration,
        max_members: u32,
    ) -> Result<Beneficiary, DomainError>;
    /// Replaces a beneficiary's details (the mobile stays).
    async fn update_beneficiary(
        &self,
        registration: &Registration,
    ) -> Result<Beneficiary, DomainError>;
    /// One beneficiary of an account (`NotFound` for anyone else's).
    async fn beneficiary(
        &self,
        account: &MobileHash,
        id: BeneficiaryRef,
    ) -> Result<Beneficiary, DomainError>;
    /// A beneficiary and the account it belongs to, by reference id alone.
    async fn beneficiary_account(
        &self,
        id: BeneficiaryRef,
    ) -> Result<(Beneficiary, MobileHash), DomainError>;
    /// The beneficiaries of an account.
    async fn beneficiaries(&self, account: &MobileHash) -> Result<Vec<Beneficiary>, DomainError>;
    /// Removes a beneficiary of an account (refused while it has an active appointment).
    async fn delete_beneficiary(
        &self,
        account: &MobileHash,
        id: BeneficiaryRef,
    ) -> Result<(), DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verhoeff_accepts_valid_and_catches_single_digit_errors() {
        // 234123412346 is a commonly used valid test number (check digit 6).
        assert!(verhoeff_valid("234123412346"));
        assert!(!verhoeff_valid("234123412347"));
        assert!(!verhoeff_valid("234123412436"), "adjacent transposition");
        assert!(PhotoId::parse(1, "2341 2341 2346").is_ok());
        assert!(PhotoId::parse(1, "999999999998").is_err());
        assert!(
            PhotoId::parse(1, "999999999999").is_ok(),
            "all nines happens to pass Verhoeff"
        );
        assert!(PhotoId::parse(1, "123412341234").is_err(), "starts with 1");
    }

    #[test]
    fn document_numbers_are_checked_by_type() {
        assert!(PhotoId::parse(6, "abcpe1234f").is_ok());
        assert!(PhotoId::parse(6, "ABCXE1234F").is_err());
        assert!(PhotoId::parse(8, "J8369854").is_ok());
        assert!(PhotoId::parse(8, "J0369854").is_err());
        assert!(PhotoId::parse(12, "ABC1234567").is_ok());
        assert!(PhotoId::parse(12, "AB12345678").is_err());
        assert!(PhotoId::parse(2, "MH-12 2011 0012345").is_ok());
        assert!(PhotoId::parse(2, "MH12991100123").is_err());
        assert!(PhotoId::parse(4, "MH-01-002-003").is_ok());
        assert!(PhotoId::parse(14, "whatever").is_err());
        let id = PhotoId::parse(6, "ABCPE1234F").unwrap();
        assert_eq!(
            (id.masked(), id.last4()),
            ("*****234F".to_owned(), "234F".to_owned())
        );
        assert!(!format!("{id:?}").contains("ABCPE"));
    }

    #[test]
    fn birth_years_genders_and_reference_ids() {
        assert!(BirthYear::parse("1980", 2026).is_ok());
        assert!(BirthYear::parse("2027", 2026).is_err());
        assert!(BirthYear::parse("80", 2026).is_err());
        assert_eq!(BirthYear::new(1980, 2026).unwrap().age_in(2026), 46);
        assert_eq!(GenderId::parse("male").unwrap().id(), 1);
        assert_eq!(GenderId::parse("F").unwrap().name(), "Female");
        assert_eq!(GenderId::from_id(3).unwrap().name(), "Others");
        assert!(GenderId::from_id(4).is_err());
        assert!(BeneficiaryRef::new(21_363_381_933_156).is_ok());
        assert!(BeneficiaryRef::new(123_412_341_234).is_err());
        let r = BeneficiaryRef::random();
        assert_eq!(r.to_string().len(), 14);
    }
}
