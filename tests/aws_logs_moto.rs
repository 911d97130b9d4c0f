//! The logs view's AWS reads against moto, which serves CloudWatch Logs: the
//! awslogs group and stream prefix resolved from the task definition, a tail
//! that reads only the app's streams and dedupes by event id, FireLens
//! reported rather than read, and `log_matches`' counts (FilterLogEvents with
//! the pattern as a filter).

use crate::common::moto;

use std::process::Command;
use std::sync::OnceLock;

use moto::{fixtures, moto};
use sitrep::model::ServiceKey;
use sitrep::model::evidence::{LogQuery, LogTarget};
use sitrep::source::aws::{AwsClients, AwsEvidence};

/// The shared server, with the logs fixtures added once.
async fn reader() -> AwsEvidence {
    static SEEDED: OnceLock<()> = OnceLock::new();
    let server = moto();
    SEEDED.get_or_init(|| {
        let out = Command::new("python3")
            .arg(fixtures().join("seed_logs.py"))
            .arg(&server.endpoint)
            .output()
            .expect("run python3 for seed_logs.py");
        assert!(
            out.status.success(),
            "seed_logs.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let clients = AwsClients::new(&server.aws_config())
        .await
        .expect("clients");
    AwsEvidence::new(clients)
}

#[tokio::test]
async fn tails_the_seeded_group_and_dedupes_by_event_id() {
    let reader = reader().await;
    let key = ServiceKey::new("logs", "manga-orchestrator");
    let tail = reader.logs(&key, None, None).await.expect("first read");
    assert_eq!(
        tail.target,
        LogTarget::Awslogs {
            group: "/ecs/manga-orchestrator".into(),
            stream_prefix: Some("ecs".into()),
            container: "app".into(),
        }
    );
    let text: Vec<&str> = tail.lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(text.len(), 3, "only the app's stream: {text:#?}");
    assert!(text[1].contains("HikariPool-1"), "{text:#?}");
    assert!(tail.lines.iter().all(|l| l.stream.starts_with("ecs/app/")));
    // The next read starts at the newest line: it comes back, with the same id.
    let newest = tail.lines.last().unwrap().clone();
    let more = reader
        .logs(&key, Some(newest.at), None)
        .await
        .expect("follow");
    assert!(more.lines.iter().any(|l| l.id == newest.id), "{more:#?}");
    let mut merged = tail.clone();
    merged.merge(more, 100);
    assert_eq!(merged.lines.len(), 3, "deduplicated by event id");
}

#[tokio::test]
async fn firelens_is_named_not_read() {
    let reader = reader().await;
    let tail = reader
        .logs(&ServiceKey::new("logs", "firelens-api"), None, None)
        .await
        .expect("read");
    assert_eq!(
        tail.target,
        LogTarget::Other {
            driver: "awsfirelens".into(),
            container: "app".into(),
        }
    );
    assert!(tail.lines.is_empty());
    assert!(tail.target.label().contains("not awslogs"));
}

#[tokio::test]
async fn log_matches_counts_the_app_streams_lines_in_the_window() {
    let reader = reader().await;
    let key = ServiceKey::new("logs", "manga-orchestrator");
    let query = |pattern: &str| LogQuery {
        pattern: pattern.into(),
        minutes: 10,
    };
    let queries = [
        query("OutOfMemoryError"),
        query("HikariPool-1 - Connection is not available"),
        query("outofmemoryerror"),
        query("not the app's stream"),
    ];
    let counted = reader.log_matches(&key, &queries).await.expect("counts");
    assert_eq!(counted.service, key);
    let got: Vec<u64> = queries.iter().map(|q| counted.count(q).unwrap()).collect();
    // Case-sensitive, and only the app container's streams.
    assert_eq!(got, [1, 1, 0, 0]);
    let err = reader
        .log_matches(&ServiceKey::new("logs", "firelens-api"), &queries[..1])
        .await
        .unwrap_err();
    assert!(err.message.contains("awsfirelens"), "{}", err.message);
}
