//! The AWS reader against a seeded moto server (see tests/fixtures/moto/seed.py).

use crate::common::moto;

use moto::moto;
use sitrep::model::{AlarmState, Arch, FleetSnapshot, Part, ServiceKey, SourceInfo};
use sitrep::source::aws::{AwsClients, AwsReader};

async fn read_once() -> (AwsReader, FleetSnapshot) {
    let cfg = moto().aws_config();
    let clients = AwsClients::new(&cfg).await.expect("clients");
    let mut reader = AwsReader::new(clients, &cfg);
    let snap = reader.refresh(None).await;
    (reader, snap)
}

#[tokio::test]
async fn snapshot_holds_the_seeded_fleet() {
    let (_, snap) = read_once().await;
    let names: Vec<String> = snap.clusters.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, ["empty", "manga", "shop"]);
    assert_eq!(snap.clusters[0].active_services, 0);
    assert_eq!(snap.services.len(), 14 + 10);

    let orch = snap
        .service(&ServiceKey::new("manga", "orchestrator"))
        .expect("orchestrator");
    assert_eq!(orch.desired, 12);
    assert_eq!(orch.running, 0, "no tasks in moto");
    assert_eq!(orch.arch, Arch::X86_64);
    assert_eq!(orch.task_vcpu, 1.0);
    assert_eq!(orch.task_memory_gb, 2.0);
    let scaling = orch.scaling.as_ref().expect("scalable target");
    assert_eq!((scaling.min, scaling.max), (2, 50));
    assert_eq!(scaling.policies.len(), 1);
    assert_eq!(
        scaling.policies[0].metric,
        "ECSServiceAverageCPUUtilization"
    );
    assert_eq!(scaling.policies[0].target, 70.0);
    assert_eq!(
        (
            scaling.policies[0].scale_out_cooldown_s,
            scaling.policies[0].scale_in_cooldown_s
        ),
        (60, 300)
    );
    assert_eq!(scaling.scheduled[0].name, "prewarm");
    assert_eq!(scaling.scheduled[0].min, Some(20));
    assert_eq!(orch.metrics.cpu_pct, Some(91.5));
    assert_eq!(orch.metrics.memory_pct, Some(40.0));

    // Same name in two clusters stays two services.
    let manga_api = snap.service(&ServiceKey::new("manga", "api")).unwrap();
    let shop_api = snap.service(&ServiceKey::new("shop", "api")).unwrap();
    assert_eq!(manga_api.arch, Arch::Arm64);
    assert_eq!(
        manga_api.iac_owner().as_deref(),
        Some("managed-by=terraform")
    );
    assert_eq!(manga_api.bounds(), Some((2, 10)));
    assert_eq!((manga_api.desired, shop_api.desired), (4, 2));
    assert_eq!(shop_api.bounds(), None, "no scalable target");
    assert_eq!(shop_api.metrics.cpu_pct, None, "no datapoint yet");

    // Unicode and 255-character names survive the round trip.
    assert!(
        snap.service(&ServiceKey::new("manga", "サービス-検索"))
            .is_some()
    );
    assert!(
        snap.service(&ServiceKey::new("manga", "l".repeat(255)))
            .is_some()
    );

    let cache = snap.cache("sessions").expect("cache cluster");
    assert_eq!(cache.engine, "redis");
    assert_eq!(cache.memory_pct, Some(78.0));
    assert_eq!(cache.max_memory_gb, Some(13.07));

    let alarm = snap
        .alarms
        .iter()
        .find(|a| a.name == "orchestrator-cpu-high")
        .unwrap();
    assert_eq!(alarm.state, AlarmState::Alarm);
    assert_eq!(alarm.subject.as_deref(), Some("manga/orchestrator"));

    assert!(matches!(snap.source, SourceInfo::Aws { ref region, .. } if region == "us-east-1"));
    for part in [
        Part::Services,
        Part::Tasks,
        Part::Scaling,
        Part::Metrics,
        Part::Alarms,
    ] {
        let status = &snap.parts[&part];
        assert!(status.fetched_at.is_some(), "{part:?} read");
        assert_eq!(status.error, None, "{part:?}: {:?}", snap.parts);
    }
}

/// A metric a runbook declares is read in the fleet's GetMetricData (no
/// extra call) and lands in the snapshot by name; one nobody publishes is
/// carried as missing.
#[tokio::test]
async fn declared_metrics_ride_along_in_the_same_batched_read() {
    use sitrep::model::declared::{Declared, MetricQuery};
    let declared = |name: &str, table: &str| Declared {
        name: name.into(),
        query: MetricQuery {
            namespace: "AWS/DynamoDB".into(),
            metric: "ReadThrottleEvents".into(),
            dimensions: vec![("TableName".into(), table.into())],
            stat: "Sum".into(),
            period_s: 60,
        },
    };
    let mut cfg = moto().aws_config();
    cfg.declared = vec![
        declared("read_throttles", "manga-sessions"),
        declared("other_throttles", "no-such-table"),
    ];
    let clients = AwsClients::new(&cfg).await.expect("clients");
    let mut reader = AwsReader::new(clients, &cfg);
    let snap = reader.refresh(None).await;
    assert_eq!(snap.declared("read_throttles"), Some(30000.0));
    assert_eq!(snap.declared.len(), 2);
    assert_eq!(snap.declared("other_throttles"), None);
    assert_eq!(
        snap.stats.calls_by_api.get("cloudwatch:GetMetricData"),
        Some(&1)
    );
}

#[tokio::test]
async fn calls_per_api_follow_the_batch_limits() {
    let (mut reader, snap) = read_once().await;
    let calls = &snap.stats.calls_by_api;
    let n = |api: &str| calls.get(api).copied().unwrap_or(0);
    assert_eq!(n("ecs:ListClusters"), 1);
    assert_eq!(n("ecs:DescribeClusters"), 1);
    assert_eq!(n("ecs:ListServices"), 3, "one per cluster");
    // manga 14 services -> 2 batches, shop 10 -> 1.
    assert_eq!(n("ecs:DescribeServices"), 3);
    assert_eq!(
        n("ecs:DescribeTaskDefinition"),
        2,
        "two task definitions, each once"
    );
    assert_eq!(n("ecs:ListTasks"), 6, "running and stopped per cluster");
    assert_eq!(n("ecs:DescribeTasks"), 0, "no tasks to describe");
    assert_eq!(
        n("application-autoscaling:DescribeScalableTargets"),
        1,
        "the namespace's targets in one page"
    );
    assert_eq!(n("cloudwatch:GetMetricData"), 1, "51 queries in one call");
    assert_eq!(n("cloudwatch:DescribeAlarms"), 1);
    assert_eq!(snap.stats.api_calls, calls.values().sum::<u32>());
    eprintln!(
        "moto: first refresh {} calls in {} ms",
        snap.stats.api_calls, snap.stats.latency_ms
    );

    // The next refresh within the config interval reads only the live parts.
    let again = reader.refresh(None).await;
    let calls = &again.stats.calls_by_api;
    assert!(!calls.contains_key("ecs:DescribeServices"), "{calls:?}");
    assert!(!calls.contains_key("ecs:DescribeTaskDefinition"));
    assert_eq!(calls.get("ecs:ListTasks"), Some(&6));
    assert_eq!(
        calls.get("cloudwatch:GetMetricData"),
        None,
        "metrics wait for their one-minute period"
    );
    assert_eq!(again.stats.metrics_requested, 0);
    assert_eq!(snap.stats.metrics_requested, 51);
    assert_eq!(
        again.services.len(),
        snap.services.len(),
        "kept from the last read"
    );
    eprintln!(
        "moto: next refresh {} calls in {} ms",
        again.stats.api_calls, again.stats.latency_ms
    );
}

#[tokio::test]
async fn an_endpoint_that_never_answers_times_out_without_blocking() {
    moto(); // dummy credentials in the environment
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cfg = sitrep::config::AwsConfig {
        enabled: true,
        region: Some("us-east-1".into()),
        endpoint_url: Some(format!("http://{}", listener.local_addr().unwrap())),
        call_timeout_s: 1,
        max_attempts: 1,
        ..sitrep::config::AwsConfig::default()
    };
    let clients = AwsClients::new(&cfg).await.unwrap();
    let started = std::time::Instant::now();
    let snap = AwsReader::new(clients, &cfg).refresh(None).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let services = snap.parts[&Part::Services].error.clone().unwrap();
    assert!(services.contains("no answer within 1s"), "{services}");
    assert!(snap.parts.values().all(|p| p.fetched_at.is_none()));
    drop(listener);
}

#[tokio::test]
async fn the_poller_sends_whole_snapshots_and_stops_with_its_receiver() {
    let cfg = sitrep::config::AwsConfig {
        metrics_interval_s: 1,
        ..moto().aws_config()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let handle = sitrep::source::aws::spawn(&cfg, tx);
    // A slow first read may show rows as they come: the whole snapshot follows.
    let mut snap = rx.recv().await.expect("a snapshot");
    while snap.stats.reading.is_some() {
        snap = rx.recv().await.expect("the whole snapshot");
    }
    assert_eq!(snap.services.len(), 24);
    assert!(matches!(
        snap.source,
        SourceInfo::Aws { ref endpoint_url, .. } if endpoint_url == &cfg.endpoint_url
    ));
    drop(rx);
    tokio::time::timeout(std::time::Duration::from_secs(60), handle)
        .await
        .expect("poller ends once nobody listens")
        .unwrap();
}
