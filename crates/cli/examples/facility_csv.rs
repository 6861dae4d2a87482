//! Writes a facility CSV of N rows at real post-office pincodes, for load-testing the bulk import:
//! `cargo run --release --example facility_csv -- 100000 7 > facilities.csv` (rows, days).

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(1000), |a| a.parse())?;
    let days: i64 = args.next().map_or(Ok(7), |a| a.parse())?;
    let (data, _) = sehat_store::master_data::shipped().map_err(anyhow::Error::msg)?;
    let sites: Vec<_> = data
        .localities
        .iter()
        .filter(|l| l.district_id.is_some())
        .collect();
    anyhow::ensure!(!sites.is_empty(), "no localities");
    let start = time::macros::date!(2027 - 01 - 01);
    let end = start + time::Duration::days(days - 1);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    writeln!(
        out,
        "State,District,Block,Pincode,Facilityname,InchargeName,Mobile,Lat,Lang,vaccinationtypeID,Startdate,Enddate,onlineAppointmentVaccancy,slots,Vaccancy"
    )?;
    for i in 0..rows {
        // A fixed stride walks the localities in a scattered but repeatable order.
        let site = sites[(i * 7919) % sites.len()];
        let district = site.district_id.map_or(0, |d| d.0);
        let state = data
            .districts
            .iter()
            .find(|d| d.id.0 == district)
            .map_or(0, |d| d.state_id.0);
        let (lat, lon) = site.location.map_or((String::new(), String::new()), |p| {
            (p.lat().to_string(), p.lon().to_string())
        });
        writeln!(
            out,
            "{state},{district},,{},Facility {i} {},In-charge {i},9{:09},{lat},{lon},COVISHIELD,{start},{end},90,Morning 09:00AM-11:00AM;Afternoon 01:00PM-03:00PM,100",
            site.pincode,
            site.name.replace(',', " "),
            i % 1_000_000_000,
        )?;
    }
    out.flush()?;
    Ok(())
}
