//! The bulk facility upload's columns and the validation of one row into a [`FacilityPlan`].
//!
//! The columns are spec 000's facility data model, spelt as the spec spells them (`Lang` for the
//! longitude, `Vaccancy`), plus optional sehat columns. Headers match ignoring case and spaces.

use crate::facility::{
    Area, CenterSpec, CentreType, FacilityPlan, FeeType, PlaceRef, parse_vaccine_codes,
};
use crate::schedule::{SessionPlan, SlotTemplate};
use crate::values::{GeoPoint, Mobile, Name, Pincode, parse_any_date};
use serde::Serialize;

/// Columns every file must have (spec 000's facility fields, in its order).
pub const REQUIRED_COLUMNS: [&str; 15] = [
    "State",
    "District",
    "Block",
    "Pincode",
    "Facilityname",
    "InchargeName",
    "Mobile",
    "Lat",
    "Lang",
    "vaccinationtypeID",
    "Startdate",
    "Enddate",
    "onlineAppointmentVaccancy",
    "slots",
    "Vaccancy",
];

/// Columns a file may add.
pub const OPTIONAL_COLUMNS: [&str; 9] = [
    "Address",
    "CentreType",
    "Area",
    "FeeType",
    "MinAge",
    "MaxAge",
    "Dose",
    "Fee",
    "dose1Vaccancy",
];

/// The most rows one upload may carry.
pub const MAX_ROWS: u64 = 1_000_000;

/// Why a header line was refused: `USRRES0005 INVALID_FILE_HEADERS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderError {
    /// Column names that are not known (or repeated).
    pub wrong: Vec<String>,
    /// Required columns that are missing.
    pub missing: Vec<String>,
}

/// A problem with one cell (or the whole row when `column` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line number in the file, the header being line 1.
    pub row: u64,
    /// The column at fault, as spelt in [`REQUIRED_COLUMNS`] / [`OPTIONAL_COLUMNS`].
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

/// Where each known column sits in a file.
#[derive(Debug, Clone)]
pub struct FacilityColumns {
    index: Vec<Option<usize>>,
}

fn all_columns() -> impl Iterator<Item = &'static str> {
    REQUIRED_COLUMNS.into_iter().chain(OPTIONAL_COLUMNS)
}

fn column_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect::<String>()
        .to_lowercase()
}

impl FacilityColumns {
    /// Reads the header line.
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Result<Self, HeaderError> {
        let known: Vec<String> = all_columns().map(column_key).collect();
        let mut index = vec![None; known.len()];
        let mut wrong = Vec::new();
        for (position, header) in headers.into_iter().enumerate() {
            match known.iter().position(|k| *k == column_key(header)) {
                Some(k) if index[k].is_none() => index[k] = Some(position),
                _ => wrong.push(header.trim_start_matches('\u{feff}').to_owned()),
            }
        }
        let missing: Vec<String> = REQUIRED_COLUMNS
            .iter()
            .enumerate()
            .filter(|(k, _)| index[*k].is_none())
            .map(|(_, name)| (*name).to_owned())
            .collect();
        if wrong.is_empty() && missing.is_empty() {
            Ok(Self { index })
        } else {
            Err(HeaderError { wrong, missing })
        }
    }

    fn cell<'r>(&self, record: &'r [&'r str], column: &str) -> &'r str {
        all_columns()
            .position(|c| c == column)
            .and_then(|k| self.index[k])
            .and_then(|i| record.get(i))
            .map_or("", |s| s.trim())
    }

    /// Validates one data row (`row` is its line number) into a plan, collecting every error.
    pub fn parse_row(&self, row: u64, record: &[&str]) -> Result<FacilityPlan, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut fail = |column: &str, reason: &str| {
            errors.push(RowError {
                row,
                column: column.to_owned(),
                reason: reason.to_owned(),
            });
        };
        let cell = |c: &str| self.cell(record, c);
        let optional = |c: &str| Some(cell(c)).filter(|s| !s.is_empty());

        let name = Name::parse(cell("Facilityname")).map_err(|e| fail("Facilityname", e));
        let state = PlaceRef::parse(cell("State")).ok_or("is required");
        let state = state.map(Some).map_err(|e| fail("State", e));
        let district = PlaceRef::parse(cell("District")).ok_or("is required");
        let district = district.map_err(|e| fail("District", e));
        let pincode = Pincode::parse(cell("Pincode")).map_err(|e| fail("Pincode", e));
        let incharge_name = optional("InchargeName")
            .map(Name::parse)
            .transpose()
            .map_err(|e| fail("InchargeName", e));
        let incharge_mobile = optional("Mobile")
            .map(Mobile::parse)
            .transpose()
            .map_err(|e| fail("Mobile", e));
        let location = match (optional("Lat"), optional("Lang")) {
            (Some(lat), Some(lon)) => GeoPoint::parse(lat, lon).map(Some),
            (None, None) => Ok(None),
            _ => Err("Lat and Lang must be given together"),
        }
        .map_err(|e| fail("Lat", e));
        let vaccines = parse_vaccine_codes(cell("vaccinationtypeID")).map_err(|_| {
            fail(
                "vaccinationtypeID",
                "vaccine codes are letters and digits, comma-separated",
            )
        });
        let centre_type = optional("CentreType")
            .map_or(Ok(CentreType::Permanent), CentreType::parse)
            .map_err(|e| fail("CentreType", e));
        let area = optional("Area")
            .map_or(Ok(Area::Urban), Area::parse)
            .map_err(|e| fail("Area", e));
        let fee_type = optional("FeeType")
            .map_or(Ok(FeeType::Free), FeeType::parse)
            .map_err(|e| fail("FeeType", e));
        let sessions = self.parse_sessions(record, &mut fail, vaccines.as_deref().ok());

        let (
            Ok(name),
            Ok(state),
            Ok(district),
            Ok(pincode),
            Ok(incharge_name),
            Ok(incharge_mobile),
            Ok(location),
            Ok(vaccine_codes),
            Ok(centre_type),
            Ok(area),
            Ok(fee_type),
            Ok(sessions),
        ) = (
            name,
            state,
            district,
            pincode,
            incharge_name,
            incharge_mobile,
            location,
            vaccines,
            centre_type,
            area,
            fee_type,
            sessions,
        )
        else {
            return Err(errors);
        };
        Ok(FacilityPlan {
            center: CenterSpec {
                name,
                state,
                district,
                block: PlaceRef::parse(cell("Block")),
                pincode,
                address: cell("Address").to_owned(),
                incharge_name,
                incharge_mobile,
                location,
                centre_type,
                area,
                fee_type,
                vaccine_codes,
            },
            sessions,
        })
    }

    /// The session columns: all empty means "no sessions"; otherwise all must be valid.
    fn parse_sessions(
        &self,
        record: &[&str],
        fail: &mut impl FnMut(&str, &str),
        vaccines: Option<&[String]>,
    ) -> Result<Option<SessionPlan>, ()> {
        let cell = |c: &str| self.cell(record, c);
        let plan_columns = [
            "Startdate",
            "Enddate",
            "onlineAppointmentVaccancy",
            "slots",
            "Vaccancy",
        ];
        if plan_columns.iter().all(|c| cell(c).is_empty()) {
            return Ok(None);
        }
        let mut ok = true;
        let mut check = |column: &str, result: Result<(), &str>| {
            if let Err(reason) = result {
                fail(column, reason);
                ok = false;
            }
        };
        let from = parse_any_date(cell("Startdate"));
        check("Startdate", from.map(drop));
        let to = parse_any_date(cell("Enddate"));
        check("Enddate", to.map(drop));
        let count = |c: &str| cell(c).parse::<u32>().map_err(|_| "must be a whole number");
        let online = count("onlineAppointmentVaccancy");
        check("onlineAppointmentVaccancy", online.map(drop));
        let total = count("Vaccancy");
        check("Vaccancy", total.map(drop));
        if let (Ok(online), Ok(total)) = (online, total)
            && online > total
        {
            check(
                "onlineAppointmentVaccancy",
                Err("must not exceed Vaccancy (the day's total)"),
            );
        }
        let slots = SlotTemplate::parse_list(cell("slots"));
        check("slots", slots.as_ref().map(drop).map_err(|e| *e));
        let age = |c: &str| -> Result<Option<u8>, &'static str> {
            Some(cell(c))
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<u8>().map_err(|_| "must be a whole number 0-120"))
                .transpose()
        };
        let min_age = age("MinAge");
        check("MinAge", min_age.map(drop));
        let max_age = age("MaxAge");
        check("MaxAge", max_age.map(drop));
        let dose = age("Dose");
        check("Dose", dose.map(drop));
        let optional_count = |c: &str| -> Result<Option<u32>, &'static str> {
            Some(cell(c))
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<u32>().map_err(|_| "must be a whole number"))
                .transpose()
        };
        let fee = optional_count("Fee");
        check("Fee", fee.map(drop));
        let capacity_dose1 = optional_count("dose1Vaccancy");
        check("dose1Vaccancy", capacity_dose1.map(drop));
        let vaccine_code = match vaccines {
            Some([only]) => Some(only.clone()),
            Some([]) => {
                check(
                    "vaccinationtypeID",
                    Err("is required when sessions are planned"),
                );
                None
            }
            Some(_) => {
                check(
                    "vaccinationtypeID",
                    Err("name exactly one vaccine when sessions are planned"),
                );
                None
            }
            None => None,
        };
        let (
            true,
            Ok(from),
            Ok(to),
            Ok(online),
            Ok(total),
            Ok(slots),
            Ok(min_age),
            Ok(max_age),
            Ok(dose),
            Ok(fee),
            Ok(capacity_dose1),
            Some(vaccine_code),
        ) = (
            ok,
            from,
            to,
            online,
            total,
            slots,
            min_age,
            max_age,
            dose,
            fee,
            capacity_dose1,
            vaccine_code,
        )
        else {
            return Err(());
        };
        let plan = SessionPlan {
            from,
            to,
            vaccine_code,
            min_age: min_age.unwrap_or(0),
            max_age,
            dose,
            capacity_online: online,
            capacity_walkin: total - online,
            capacity_dose1,
            fee: fee.unwrap_or(0),
            slots,
        };
        plan.validate().map_err(|e| match e {
            crate::DomainError::Invalid { field, reason } => {
                let column = match field.as_ref() {
                    "to" => "Enddate",
                    "max_age" => "MaxAge",
                    "min_age" => "MinAge",
                    "dose" => "Dose",
                    "capacity" => "Vaccancy",
                    "capacity_dose1" => "dose1Vaccancy",
                    "fee" => "Fee",
                    _ => "slots",
                };
                fail(column, &reason);
            }
            other => fail("", &other.to_string()),
        })?;
        Ok(Some(plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "State,District,Block,Pincode,Facilityname,InchargeName,Mobile,Lat,Lang,vaccinationtypeID,Startdate,Enddate,onlineAppointmentVaccancy,slots,Vaccancy";

    fn columns() -> FacilityColumns {
        FacilityColumns::parse(HEADER.split(',')).unwrap()
    }

    #[test]
    fn the_spec_headers_are_accepted_in_any_case_and_order() {
        let mut h: Vec<String> = HEADER.split(',').map(str::to_uppercase).collect();
        h.reverse();
        h.push("Centre Type".into());
        FacilityColumns::parse(h.iter().map(String::as_str)).unwrap();
    }

    #[test]
    fn wrong_and_missing_headers_are_named() {
        let headers = HEADER.replace("Facilityname", "Facilty Name") + ",State";
        let err = FacilityColumns::parse(headers.split(',')).unwrap_err();
        assert_eq!(err.wrong, vec!["Facilty Name", "State"]);
        assert_eq!(err.missing, vec!["Facilityname"]);
    }

    #[test]
    fn a_valid_row_becomes_a_plan() {
        let row = "Maharashtra,Satara,,413608,District General Hospital,Sunil Kumar,8765432109,17.68,74.01,COVISHIELD,01-03-2026,2026-03-07,90,Morning 9AM-11AM;Afternoon 1PM-3PM,100";
        let plan = columns()
            .parse_row(2, &row.split(',').collect::<Vec<_>>())
            .unwrap();
        assert_eq!(plan.center.name.as_str(), "District General Hospital");
        assert_eq!(plan.center.district, PlaceRef::Name("Satara".into()));
        let sessions = plan.sessions.unwrap();
        assert_eq!(sessions.dates().count(), 7);
        assert_eq!(
            (sessions.capacity_online, sessions.capacity_walkin),
            (90, 10)
        );
        assert_eq!(sessions.slot_capacities(), vec![45, 45]);
    }

    #[test]
    fn a_row_without_a_session_plan_registers_only_the_centre() {
        let row = "21,391,,413608,PHC Nagur,,,,,,,,,,";
        let plan = columns()
            .parse_row(2, &row.split(',').collect::<Vec<_>>())
            .unwrap();
        assert!(plan.sessions.is_none());
        assert_eq!(plan.center.state, Some(PlaceRef::Id(21)));
    }

    #[test]
    fn every_bad_cell_of_a_row_is_reported() {
        let row = ",Satara,,41360,,,12345,95,74,COVISHIELD,31-02-2026,01-03-2026,200,noon,100";
        let errors = columns()
            .parse_row(7, &row.split(',').collect::<Vec<_>>())
            .unwrap_err();
        let cols: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(
            cols,
            [
                "Facilityname",
                "State",
                "Pincode",
                "Mobile",
                "Lat",
                "Startdate",
                "onlineAppointmentVaccancy",
                "slots"
            ]
        );
        assert!(errors.iter().all(|e| e.row == 7));
    }
}
