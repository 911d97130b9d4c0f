//! The AWS writer changes the moto fleet, and the reader sees the change at once.

use crate::common::moto;

use moto::moto;
use sitrep::model::ServiceKey;
use sitrep::model::request::ActionRequest;
use sitrep::model::request::WriteErrorKind;
use sitrep::source::FleetWriter;
use sitrep::source::aws::{AwsClients, AwsReader, AwsWriter};

async fn clients() -> AwsClients {
    AwsClients::new(&moto().aws_config())
        .await
        .expect("clients")
}

#[tokio::test]
async fn writes_land_and_the_next_refresh_rereads_config() {
    let cfg = moto().aws_config();
    let clients = clients().await;
    let writer = AwsWriter::new(&clients);
    let mut reader = AwsReader::new(clients, &cfg);
    let before = reader.refresh(None).await;
    let checkout = ServiceKey::new("shop", "checkout");
    assert_eq!(before.service(&checkout).unwrap().desired, 3);

    let out = writer
        .apply(&ActionRequest::SetDesiredCount {
            service: checkout.clone(),
            desired: 5,
        })
        .await
        .expect("set desired");
    assert!(
        out.starts_with("ecs:UpdateService shop/checkout: desired 5"),
        "{out}"
    );

    let api = ServiceKey::new("manga", "api");
    writer
        .apply(&ActionRequest::SetBounds {
            service: api.clone(),
            min: 3,
            max: 20,
        })
        .await
        .expect("set bounds");
    writer
        .apply(&ActionRequest::SuspendScaleIn {
            service: api.clone(),
        })
        .await
        .expect("suspend scale-in");
    writer
        .apply(&ActionRequest::PutScheduledAction {
            service: api.clone(),
            name: "launch-prewarm".into(),
            schedule: "at(2026-12-01T08:15:00)".into(),
            min: Some(10),
            max: None,
        })
        .await
        .expect("scheduled action");
    writer
        .apply(&ActionRequest::ForceNewDeployment {
            service: checkout.clone(),
        })
        .await
        .expect("force new deployment");

    // Well within the config interval: the writer's change hint forces a re-read.
    let after = reader.refresh(None).await;
    assert!(
        after
            .stats
            .calls_by_api
            .contains_key("ecs:DescribeServices")
    );
    assert_eq!(after.service(&checkout).unwrap().desired, 5);
    let scaling = after.service(&api).unwrap().scaling.clone().unwrap();
    assert_eq!((scaling.min, scaling.max), (3, 20));
    assert!(scaling.suspended.scale_in);
    let prewarm = scaling
        .scheduled
        .iter()
        .find(|a| a.name == "launch-prewarm")
        .unwrap();
    assert_eq!((prewarm.min, prewarm.max), (Some(10), None));
}

#[tokio::test]
async fn errors_map_to_write_error_kinds() {
    let writer = AwsWriter::new(&clients().await);
    let missing = writer
        .apply(&ActionRequest::SetDesiredCount {
            service: ServiceKey::new("shop", "no-such-service"),
            desired: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.kind, WriteErrorKind::NotFound, "{missing}");
    let no_cluster = writer
        .apply(&ActionRequest::ForceNewDeployment {
            service: ServiceKey::new("nowhere", "api"),
        })
        .await
        .unwrap_err();
    assert_eq!(no_cluster.kind, WriteErrorKind::NotFound, "{no_cluster}");
    let inverted = writer
        .apply(&ActionRequest::SetBounds {
            service: ServiceKey::new("manga", "orchestrator"),
            min: 9,
            max: 2,
        })
        .await
        .unwrap_err();
    assert_eq!(inverted.kind, WriteErrorKind::Rejected);
}
