//! Preview text for every catalogue action, against the fixture fleet.

use sitrep::action::catalogue::{CATALOGUE, MANUAL};
use sitrep::action::preview::preview;
use sitrep::model::request::ActionRequest;
use sitrep::model::{FARGATE, FleetSnapshot, ServiceKey, StrategyItem};

fn fleet() -> FleetSnapshot {
    serde_json::from_str(include_str!("fixtures/action_fleet.json")).unwrap()
}

fn orchestrator() -> ServiceKey {
    ServiceKey::new("manga", "orchestrator")
}

/// One request per catalogue action, named by its id.
fn one_of_each() -> Vec<ActionRequest> {
    vec![
        ActionRequest::SetDesiredCount {
            service: orchestrator(),
            desired: 45,
        },
        ActionRequest::SetCapacityProviderStrategy {
            service: orchestrator(),
            strategy: vec![StrategyItem::new(FARGATE, 1, 0)],
        },
        ActionRequest::ForceNewDeployment {
            service: orchestrator(),
        },
        ActionRequest::SetTaskDefinition {
            service: orchestrator(),
            task_definition: "orchestrator:40".into(),
        },
        ActionRequest::SetBounds {
            service: orchestrator(),
            min: 50,
            max: 200,
        },
        ActionRequest::SuspendScaleIn {
            service: orchestrator(),
        },
        ActionRequest::ResumeScaleIn {
            service: orchestrator(),
        },
        ActionRequest::PutScheduledAction {
            service: orchestrator(),
            name: "event-prewarm".into(),
            schedule: "at(2026-11-23T23:15:00)".into(),
            min: Some(100),
            max: Some(200),
        },
        ActionRequest::SetMaxmemoryPolicy {
            cache_id: "manga-cache".into(),
            parameter_group: "manga-redis7".into(),
            policy: "allkeys-lfu".into(),
        },
    ]
}

#[test]
fn every_catalogue_action_has_a_preview_snapshot() {
    let snap = fleet();
    let requests = one_of_each();
    let ids: Vec<&str> = requests.iter().map(ActionRequest::id).collect();
    for spec in CATALOGUE.iter().filter(|s| s.id != MANUAL) {
        assert!(ids.contains(&spec.id), "no preview case for {}", spec.id);
    }
    for request in requests {
        insta::assert_snapshot!(request.id(), preview(&request, &snap).to_text());
    }
}

#[test]
fn desired_outside_bounds_says_the_scaler_pulls_it_back() {
    let request = ActionRequest::SetDesiredCount {
        service: orchestrator(),
        desired: 120,
    };
    insta::assert_snapshot!(preview(&request, &fleet()).to_text());
}

#[test]
fn iac_owned_service_warns_that_the_next_apply_undoes_it() {
    let request = ActionRequest::SetCapacityProviderStrategy {
        service: ServiceKey::new("manga", "search-api"),
        strategy: vec![StrategyItem::new(FARGATE, 1, 0)],
    };
    insta::assert_snapshot!(preview(&request, &fleet()).to_text());
}

#[test]
fn missing_service_previews_with_unknown_before() {
    let request = ActionRequest::SetDesiredCount {
        service: ServiceKey::new("manga", "ghost"),
        desired: 3,
    };
    let p = preview(&request, &fleet());
    assert_eq!(p.changes[0].before, "?");
    assert_eq!(p.warnings, ["manga/ghost is not in the current snapshot"]);
}
