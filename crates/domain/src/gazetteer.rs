//! The in-memory index of reference data that resolves and cross-checks places: a district must
//! lie in its state, a pincode in its district, a block in its district, a vaccine must exist.

use crate::DomainError;
use crate::facility::{CenterSpec, PlaceRef, ResolvedCenter};
use crate::ids::{BlockId, DistrictId, StateId};
use crate::master::{Block, District, PincodeArea, ReferenceStore, State, Vaccine, place_key};
use crate::values::Pincode;
use std::collections::HashMap;

/// Reference data indexed for lookups. Built once from the store; master data does not change
/// while the server runs.
#[derive(Debug, Default)]
pub struct Gazetteer {
    states: HashMap<StateId, State>,
    state_keys: HashMap<String, StateId>,
    districts: HashMap<DistrictId, District>,
    district_keys: HashMap<(StateId, String), DistrictId>,
    blocks: HashMap<BlockId, Block>,
    block_keys: HashMap<(DistrictId, String), BlockId>,
    pincodes: HashMap<Pincode, Vec<PincodeArea>>,
    vaccines: HashMap<String, Vaccine>,
}

impl Gazetteer {
    /// Indexes the given reference data.
    pub fn new(
        states: Vec<State>,
        districts: Vec<District>,
        blocks: Vec<Block>,
        pincodes: Vec<PincodeArea>,
        vaccines: Vec<Vaccine>,
    ) -> Self {
        let mut g = Self::default();
        for s in states {
            g.state_keys.insert(place_key(&s.name), s.id);
            g.states.insert(s.id, s);
        }
        for d in districts {
            g.district_keys
                .insert((d.state_id, place_key(&d.name)), d.id);
            g.districts.insert(d.id, d);
        }
        for b in blocks {
            g.block_keys
                .insert((b.district_id, place_key(&b.name)), b.id);
            g.blocks.insert(b.id, b);
        }
        for p in pincodes {
            g.pincodes.entry(p.pincode).or_default().push(p);
        }
        g.vaccines = vaccines.into_iter().map(|v| (v.code.clone(), v)).collect();
        g
    }

    /// A state by id.
    pub fn state(&self, id: StateId) -> Option<&State> {
        self.states.get(&id)
    }

    /// A district by id.
    pub fn district(&self, id: DistrictId) -> Option<&District> {
        self.districts.get(&id)
    }

    /// A block by id.
    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.blocks.get(&id)
    }

    /// All states, by name.
    pub fn states(&self) -> Vec<&State> {
        let mut states: Vec<&State> = self.states.values().collect();
        states.sort_by(|a, b| a.name.cmp(&b.name));
        states
    }

    /// The districts of a state, by name.
    pub fn districts_of(&self, state: StateId) -> Vec<&District> {
        let mut districts: Vec<&District> = self
            .districts
            .values()
            .filter(|d| d.state_id == state)
            .collect();
        districts.sort_by(|a, b| a.name.cmp(&b.name));
        districts
    }

    /// The blocks of a district, by name.
    pub fn blocks_of(&self, district: DistrictId) -> Vec<&Block> {
        let mut blocks: Vec<&Block> = self
            .blocks
            .values()
            .filter(|b| b.district_id == district)
            .collect();
        blocks.sort_by(|a, b| a.name.cmp(&b.name));
        blocks
    }

    /// The areas (one per district it spans) of a pincode; empty if unknown.
    pub fn pincode(&self, pincode: Pincode) -> &[PincodeArea] {
        self.pincodes.get(&pincode).map_or(&[], Vec::as_slice)
    }

    /// A vaccine by code.
    pub fn vaccine(&self, code: &str) -> Option<&Vaccine> {
        self.vaccines.get(code)
    }

    /// Numbers of states, districts, blocks, pincodes and vaccines indexed.
    pub fn counts(&self) -> [usize; 5] {
        [
            self.states.len(),
            self.districts.len(),
            self.blocks.len(),
            self.pincodes.len(),
            self.vaccines.len(),
        ]
    }

    fn resolve_state(&self, place: &PlaceRef) -> Result<StateId, DomainError> {
        let found = match place {
            PlaceRef::Id(id) => self.states.get(&StateId(*id)).map(|s| s.id),
            PlaceRef::Name(name) => self.state_keys.get(&place_key(name)).copied(),
        };
        found.ok_or_else(|| DomainError::invalid("state", "unknown state"))
    }

    fn resolve_district(
        &self,
        state: StateId,
        place: &PlaceRef,
    ) -> Result<DistrictId, DomainError> {
        match place {
            PlaceRef::Id(id) => match self.districts.get(&DistrictId(*id)) {
                Some(d) if d.state_id == state => Ok(d.id),
                Some(_) => Err(DomainError::invalid(
                    "district",
                    "district is not in that state",
                )),
                None => Err(DomainError::invalid("district", "unknown district")),
            },
            PlaceRef::Name(name) => self
                .district_keys
                .get(&(state, place_key(name)))
                .copied()
                .ok_or_else(|| {
                    DomainError::invalid("district", "no district of that name in the state")
                }),
        }
    }

    /// Resolves a centre's places to ids and checks they agree with each other and with the
    /// pincode; fills block and position from the pincode where not given.
    pub fn resolve_center(&self, spec: CenterSpec) -> Result<ResolvedCenter, DomainError> {
        let state_id = match (&spec.state, &spec.district) {
            (Some(state), _) => self.resolve_state(state)?,
            (None, PlaceRef::Id(id)) => self
                .districts
                .get(&DistrictId(*id))
                .map(|d| d.state_id)
                .ok_or_else(|| DomainError::invalid("district", "unknown district"))?,
            (None, PlaceRef::Name(_)) => {
                return Err(DomainError::invalid(
                    "state",
                    "is required when the district is named",
                ));
            }
        };
        let district_id = self.resolve_district(state_id, &spec.district)?;
        let area = self
            .pincode(spec.pincode)
            .iter()
            .find(|a| a.district_id == district_id)
            .ok_or_else(|| {
                if self.pincode(spec.pincode).is_empty() {
                    DomainError::invalid("pincode", "unknown pincode")
                } else {
                    DomainError::invalid("pincode", "pincode is not in that district")
                }
            })?;
        let block_id = match &spec.block {
            None => Some(area.block_id),
            Some(PlaceRef::Id(id)) => match self.blocks.get(&BlockId(*id)) {
                Some(b) if b.district_id == district_id => Some(b.id),
                Some(_) => {
                    return Err(DomainError::invalid(
                        "block",
                        "block is not in that district",
                    ));
                }
                None => return Err(DomainError::invalid("block", "unknown block")),
            },
            Some(PlaceRef::Name(name)) => Some(
                self.block_keys
                    .get(&(district_id, place_key(name)))
                    .copied()
                    .ok_or_else(|| {
                        DomainError::invalid("block", "no block of that name in the district")
                    })?,
            ),
        };
        if let Some(code) = spec
            .vaccine_codes
            .iter()
            .find(|c| self.vaccine(c).is_none())
        {
            return Err(DomainError::invalid(
                "vaccinationtypeID",
                format!("unknown vaccine code {code}"),
            ));
        }
        let location = spec.location.or(area.location);
        Ok(ResolvedCenter {
            spec,
            state_id,
            district_id,
            block_id,
            location,
        })
    }

    /// Checks a session plan's vaccine exists.
    pub fn check_vaccine(&self, code: &str) -> Result<(), DomainError> {
        match self.vaccine(code) {
            Some(_) => Ok(()),
            None => Err(DomainError::invalid(
                "vaccinationtypeID",
                format!("unknown vaccine code {code}"),
            )),
        }
    }
}

impl Gazetteer {
    /// Checks that the parts of an address exist and agree (state ⊃ district ⊃ block, pincode in
    /// the district, locality at the pincode), filling the state and district from the parts
    /// below them.
    pub async fn check_address(
        &self,
        store: &dyn ReferenceStore,
        mut a: crate::beneficiary::Address,
    ) -> Result<crate::beneficiary::Address, DomainError> {
        if let Some(b) = a.block_id {
            let block = self
                .block(b)
                .ok_or_else(|| DomainError::invalid("block_id", "unknown block"))?;
            match a.district_id {
                Some(d) if d != block.district_id => {
                    return Err(DomainError::invalid(
                        "block_id",
                        "block is not in that district",
                    ));
                }
                _ => a.district_id = Some(block.district_id),
            }
        }
        if let Some(d) = a.district_id {
            let district = self
                .district(d)
                .ok_or_else(|| DomainError::invalid("district_id", "unknown district"))?;
            match a.state_id {
                Some(s) if s != district.state_id => {
                    return Err(DomainError::invalid(
                        "district_id",
                        "district is not in that state",
                    ));
                }
                _ => a.state_id = Some(district.state_id),
            }
        }
        if let Some(s) = a.state_id
            && self.state(s).is_none()
        {
            return Err(DomainError::invalid("state_id", "unknown state"));
        }
        if let Some(p) = a.pincode {
            let areas = self.pincode(p);
            if areas.is_empty() {
                return Err(DomainError::invalid("pincode", "unknown pincode"));
            }
            if let Some(d) = a.district_id
                && !areas.iter().any(|area| area.district_id == d)
            {
                return Err(DomainError::invalid(
                    "pincode",
                    "pincode is not in that district",
                ));
            }
        }
        if let Some(l) = a.locality_id {
            let pincode = a.pincode.ok_or_else(|| {
                DomainError::invalid("locality_id", "give the pincode with the locality")
            })?;
            if !store.localities(pincode).await?.iter().any(|x| x.id == l) {
                return Err(DomainError::invalid(
                    "locality_id",
                    "locality is not at that pincode",
                ));
            }
        }
        Ok(a)
    }
}

impl Gazetteer {
    /// Loads the reference data from a store and indexes it.
    pub async fn load(store: &dyn ReferenceStore) -> Result<Self, DomainError> {
        Ok(Self::new(
            store.states().await?,
            store.districts().await?,
            store.blocks().await?,
            store.pincode_areas().await?,
            store.vaccines().await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facility::{Area, CentreType, FeeType};
    use crate::master::VaccineProgramme;
    use crate::values::{GeoPoint, Name};

    fn gazetteer() -> Gazetteer {
        let pin = |p| Pincode::from_number(p).unwrap();
        Gazetteer::new(
            vec![
                State {
                    id: StateId(21),
                    name: "Maharashtra".into(),
                },
                State {
                    id: StateId(16),
                    name: "Karnataka".into(),
                },
            ],
            vec![
                District {
                    id: DistrictId(391),
                    state_id: StateId(21),
                    name: "Ahmednagar".into(),
                },
                District {
                    id: DistrictId(294),
                    state_id: StateId(16),
                    name: "BBMP".into(),
                },
            ],
            vec![
                Block {
                    id: BlockId(7),
                    district_id: DistrictId(391),
                    name: "Akole".into(),
                },
                Block {
                    id: BlockId(8),
                    district_id: DistrictId(294),
                    name: "Jayanagar".into(),
                },
            ],
            vec![PincodeArea {
                pincode: pin(422601),
                district_id: DistrictId(391),
                state_id: StateId(21),
                block_id: BlockId(7),
                location: GeoPoint::new(19.5, 74.0).ok(),
            }],
            vec![Vaccine {
                code: "BCG".into(),
                name: "BCG".into(),
                programme: VaccineProgramme::National,
            }],
        )
    }

    fn spec(state: PlaceRef, district: PlaceRef, block: Option<PlaceRef>) -> CenterSpec {
        CenterSpec {
            name: Name::parse("PHC Akole").unwrap(),
            state: Some(state),
            district,
            block,
            pincode: Pincode::parse("422601").unwrap(),
            address: String::new(),
            incharge_name: None,
            incharge_mobile: None,
            location: None,
            centre_type: CentreType::Permanent,
            area: Area::Rural,
            fee_type: FeeType::Free,
            vaccine_codes: vec!["BCG".into()],
        }
    }

    #[test]
    fn places_resolve_by_id_or_name_and_fill_from_the_pincode() {
        let g = gazetteer();
        let r = g
            .resolve_center(spec(
                PlaceRef::Name("maharashtra".into()),
                PlaceRef::Id(391),
                None,
            ))
            .unwrap();
        assert_eq!(
            (r.state_id, r.district_id, r.block_id),
            (StateId(21), DistrictId(391), Some(BlockId(7)))
        );
        assert!(r.location.is_some());
        let mut s = spec(PlaceRef::Id(0), PlaceRef::Id(391), None);
        s.state = None;
        assert_eq!(g.resolve_center(s).unwrap().state_id, StateId(21));
    }

    #[test]
    fn places_that_disagree_are_refused_naming_the_field() {
        let g = gazetteer();
        let field_of = |s| match g.resolve_center(s) {
            Err(DomainError::Invalid { field, .. }) => field.into_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field_of(spec(PlaceRef::Id(16), PlaceRef::Id(391), None)),
            "district"
        );
        assert_eq!(
            field_of(spec(PlaceRef::Id(16), PlaceRef::Id(294), None)),
            "pincode"
        );
        assert_eq!(
            field_of(spec(
                PlaceRef::Id(21),
                PlaceRef::Id(391),
                Some(PlaceRef::Id(8))
            )),
            "block"
        );
        assert_eq!(
            field_of(spec(PlaceRef::Id(99), PlaceRef::Id(391), None)),
            "state"
        );
        let mut s = spec(PlaceRef::Id(21), PlaceRef::Id(391), None);
        s.vaccine_codes = vec!["XYZ".into()];
        assert_eq!(field_of(s), "vaccinationtypeID");
    }
}
