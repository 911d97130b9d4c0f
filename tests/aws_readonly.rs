//! A read-only session sends only Describe/List/Get calls: moto's own request
//! recorder lists every operation that reached the server during a refresh.

// Only the moto harness: tests/common/mod.rs belongs to other suites.
#[path = "common/moto.rs"]
mod moto;

use moto::moto;
use sitrep::source::aws::{AwsClients, AwsReader};

/// The operation of one recorded request: `X-Amz-Target` (JSON protocols) or `Action=` (query).
fn operation(line: &serde_json::Value) -> Option<String> {
    let headers = &line["headers"];
    if let Some(target) = headers
        .as_object()
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
        })
        .and_then(|(_, v)| v.as_str())
    {
        return target.rsplit('.').next().map(str::to_string);
    }
    let raw = line["body"].as_str().unwrap_or_default();
    let body = if line["body_encoded"] == serde_json::Value::Bool(true) {
        base64(raw)
    } else {
        raw.to_string()
    };
    body.split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_string)
}

/// Standard base64 (moto stores form bodies encoded).
fn base64(text: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = ABC.iter().position(|a| *a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn reader_sends_no_mutating_call() {
    let m = moto();
    let cfg = m.aws_config();
    let clients = AwsClients::new(&cfg).await.unwrap();
    let mut reader = AwsReader::new(clients, &cfg);
    m.api("POST", "/moto-api/recorder/reset-recording");
    m.api("POST", "/moto-api/recorder/start-recording");
    let first = reader.refresh().await;
    let second = reader.refresh().await;
    m.api("POST", "/moto-api/recorder/stop-recording");
    let recording = m.api("GET", "/moto-api/recorder/download-recording");

    // moto appends one JSON line per request; concurrent requests can garble a line.
    let lines: Vec<&str> = recording.lines().filter(|l| !l.trim().is_empty()).collect();
    let ops: Vec<String> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| operation(&v))
        .collect();
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
