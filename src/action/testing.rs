//! Test fixtures shared by the action unit tests (the integration tests read the same file).

use crate::model::{FleetSnapshot, ServiceKey};

pub fn fleet() -> FleetSnapshot {
    serde_json::from_str(include_str!("../../tests/fixtures/action_fleet.json"))
        .expect("tests/fixtures/action_fleet.json is a FleetSnapshot")
}

pub fn svc_key() -> ServiceKey {
    ServiceKey::new("manga", "orchestrator")
}

pub fn cache_key() -> String {
    "manga-cache".into()
}
