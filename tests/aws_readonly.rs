//! A read-only session sends only Describe/List/Get calls: moto's own request
//! recorder lists every operation that reached the server during a refresh.

use crate::common::moto;
use crate::common::recording;

use moto::moto;
use sitrep::source::aws::{AwsClients, AwsReader};

#[tokio::test]
async fn reader_sends_no_mutating_call() {
    let m = moto();
    let cfg = m.aws_config();
    let clients = AwsClients::new(&cfg).await.unwrap();
    let mut reader = AwsReader::new(clients, &cfg);
    m.api("POST", "/moto-api/recorder/reset-recording");
    m.api("POST", "/moto-api/recorder/start-recording");
    let first = reader.refresh(None).await;
    let second = reader.refresh(None).await;
    m.api("POST", "/moto-api/recorder/stop-recording");
    let recording = m.api("GET", "/moto-api/recorder/download-recording");

    let ops = recording::recorded_operations(&recording);
    let counted: u32 = first.stats.api_calls + second.stats.api_calls;
    assert!(ops.len() as u32 <= counted, "{ops:?}");
    assert!(
        ops.len() * 10 >= counted as usize * 8,
        "most requests recorded: {ops:?}"
    );
    let own = first
        .stats
        .calls_by_api
        .keys()
        .chain(second.stats.calls_by_api.keys());
    for op in ops.iter().chain(own) {
        let name = op.rsplit(':').next().unwrap_or(op);
        assert!(
            ["Describe", "List", "Get"]
                .iter()
                .any(|p| name.starts_with(p)),
            "mutating call {op} from a read-only refresh"
        );
    }
    assert!(ops.iter().any(|o| o == "DescribeServices"));
}
