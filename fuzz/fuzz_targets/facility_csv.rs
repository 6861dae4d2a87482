//! Facility CSV files (spec 000's bulk upload): the header line, then every row into a
//! `FacilityPlan`, read the way the importer reads them (`csv`, flexible rows, cells trimmed).
//! A valid row's session plan must pass its own checks and expand without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sehat_domain::facility_csv::{FacilityColumns, MAX_ROWS, REQUIRED_COLUMNS};

fuzz_target!(|data: &[u8]| {
    // First byte even: the input is the rows under the spec's own header line (so that the
    // fuzzer spends its time in the row parser); odd: the input is the whole file.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut file = Vec::with_capacity(rest.len() + 256);
    if mode % 2 == 0 {
        file.extend_from_slice(REQUIRED_COLUMNS.join(",").as_bytes());
        file.extend_from_slice(
            b",Address,CentreType,Area,FeeType,MinAge,MaxAge,Dose,Fee,dose1Vaccancy\n",
        );
    }
    file.extend_from_slice(rest);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file.as_slice());
    let Ok(headers) = reader.headers().cloned() else {
        return;
    };
    let Ok(columns) = FacilityColumns::parse(headers.iter()) else {
        return;
    };
    for (line, record) in reader.records().enumerate() {
        let Ok(record) = record else {
            continue;
        };
        let cells: Vec<&str> = record.iter().collect();
        let row = u64::try_from(line).unwrap_or(MAX_ROWS) + 2;
        match columns.parse_row(row, &cells) {
            Ok(plan) => {
                if let Some(sessions) = plan.sessions {
                    sessions
                        .validate()
                        .expect("a plan from a valid row passes its own checks");
                    let days = sessions.dates().count();
                    assert!((1..=366).contains(&days), "{days} days");
                    let capacities = sessions.slot_capacities();
                    assert_eq!(capacities.len(), sessions.slots.len());
                    let dose1 = sessions.slot_dose1_capacities(&capacities);
                    assert!(dose1.iter().zip(&capacities).all(|(d, c)| d <= c));
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty(), "a refused row names its errors");
                assert!(errors.iter().all(|e| e.row == row));
            }
        }
    }
});
