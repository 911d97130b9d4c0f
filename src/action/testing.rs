//! Test fixtures shared by the action unit tests (the integration tests read the same file).

use crate::model::{FleetSnapshot, ServiceKey};

pub fn fleet() -> FleetSnapshot {
    serde_json::from_str(include_str!("../../tests/fixtures/action_fleet.json"))
        .expect("tests/fixtures/action_fleet.json is a FleetSnapshot")
}

/// Suspend dynamic scale-in on the fixture's scaled service (`svc_key()`).
pub fn suspend_scale_in(snap: &mut FleetSnapshot) {
    snap.services[0]
        .scaling
        .as_mut()
        .expect("the fixture's first service has a scalable target")
        .suspended
        .scale_in = true;
}

pub fn svc_key() -> ServiceKey {
    ServiceKey::new("manga", "orchestrator")
}

pub fn cache_key() -> String {
    "manga-cache".into()
}
