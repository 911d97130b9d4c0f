//! The audit log calls `ActionRequest::api_call` "the exact request": for every
//! catalogue action, the HTTP request the AWS writer sends carries exactly that
//! operation and body. Each request is captured at the HTTP layer of real SDK
//! clients (no endpoint is contacted).

use std::time::Duration;

use aws_smithy_http_client::test_util::{CaptureRequestReceiver, capture_request};
use serde_json::{Map, Value, json};
use sitrep::model::request::ActionRequest;
use sitrep::model::{ServiceKey, StrategyItem};
use sitrep::source::FleetWriter;
use sitrep::source::aws::{AwsClients, AwsWriter};

/// One of each request kind the catalogue can build.
fn every_request() -> Vec<ActionRequest> {
    let service = ServiceKey::new("manga", "orchestrator");
    vec![
        ActionRequest::SetDesiredCount {
            service: service.clone(),
            desired: 120,
        },
        ActionRequest::SetCapacityProviderStrategy {
            service: service.clone(),
            strategy: vec![
                StrategyItem::new("FARGATE", 100, 2),
                StrategyItem::new("FARGATE_SPOT", 0, 0),
            ],
        },
        ActionRequest::ForceNewDeployment {
            service: service.clone(),
        },
        ActionRequest::SetTaskDefinition {
            service: service.clone(),
            task_definition: "orchestrator:41".into(),
        },
        ActionRequest::SetBounds {
            service: service.clone(),
            min: 20,
            max: 200,
        },
        ActionRequest::SuspendScaleIn {
            service: service.clone(),
        },
        ActionRequest::ResumeScaleIn {
            service: service.clone(),
        },
        ActionRequest::PutScheduledAction {
            service: service.clone(),
            name: "prewarm-event".into(),
            schedule: "at(2026-11-27T10:30:00)".into(),
            min: Some(100),
            max: None,
        },
        ActionRequest::SetMaxmemoryPolicy {
            cache_id: "manga-cache".into(),
            parameter_group: "manga-cache-params".into(),
            policy: "allkeys-lfu".into(),
        },
    ]
}

/// SDK clients whose HTTP layer captures the one request made.
fn capturing_clients() -> (AwsClients, CaptureRequestReceiver) {
    let (http, rx) = capture_request(None);
    macro_rules! client {
        ($sdk:ident) => {
            $sdk::Client::from_conf(
                $sdk::Config::builder()
                    .behavior_version($sdk::config::BehaviorVersion::latest())
                    .region($sdk::config::Region::new("us-east-1"))
                    .credentials_provider($sdk::config::Credentials::new(
                        "AKIDEXAMPLE",
                        "secret",
                        None,
                        None,
                        "test",
                    ))
                    .retry_config($sdk::config::retry::RetryConfig::disabled())
                    .http_client(http.clone())
                    .build(),
            )
        };
    }
    let clients = AwsClients::from_clients(
        client!(aws_sdk_ecs),
        client!(aws_sdk_applicationautoscaling),
        client!(aws_sdk_cloudwatch),
        client!(aws_sdk_elasticache),
        Duration::from_secs(5),
    );
    (clients, rx)
}

/// `service:Operation` and the body as JSON, from a captured HTTP request:
/// JSON protocols name the operation in `x-amz-target`; the query protocol
/// (ElastiCache) in the form's `Action`, with lists as `Name.Member.N.Field`.
fn operation_and_body(service: &str, target: Option<&str>, body: &[u8]) -> (String, Value) {
    if let Some(target) = target {
        let op = target.rsplit('.').next().unwrap_or(target);
        let json: Value = serde_json::from_slice(body).expect("a JSON body");
        return (format!("{service}:{op}"), json);
    }
    let form: Vec<(String, String)> = url_pairs(std::str::from_utf8(body).expect("a UTF-8 form"));
    let mut root = Map::new();
    let mut op = String::new();
    for (key, value) in form {
        match key.as_str() {
            "Action" => op = value,
            "Version" => {}
            _ => insert_query_path(&mut root, &key, value),
        }
    }
    (format!("{service}:{op}"), Value::Object(root))
}

fn url_pairs(form: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let mut out = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex escape"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("UTF-8")
    };
    form.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `A.Member.1.B = v` sets `{"A": [{"B": "v"}]}`.
fn insert_query_path(root: &mut Map<String, Value>, key: &str, value: String) {
    let parts: Vec<&str> = key.split('.').collect();
    if let [list, _member, index, field] = parts.as_slice() {
        let index: usize = index.parse::<usize>().expect("a 1-based index") - 1;
        let items = root
            .entry(list.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("a list");
        while items.len() <= index {
            items.push(json!({}));
        }
        items[index][field.to_string()] = Value::String(value);
    } else {
        root.insert(key.to_string(), Value::String(value));
    }
}

#[tokio::test]
async fn every_catalogue_action_sends_exactly_what_the_audit_log_records() {
    let requests = every_request();
    let kinds: Vec<&str> = requests.iter().map(|r| r.id()).collect();
    assert_eq!(kinds, ActionRequest::IDS, "one request of every kind");
    for request in requests {
        let (clients, rx) = capturing_clients();
        // The empty 200 answer may not parse; only the request matters here.
        let _ = AwsWriter::new(&clients).apply(&request).await;
        let sent = rx.expect_request();
        let recorded = request.api_call();
        let service = recorded.operation.split(':').next().unwrap_or_default();
        let body = sent.body().bytes().expect("an in-memory body");
        let (operation, body) =
            operation_and_body(service, sent.headers().get("x-amz-target"), body);
        assert_eq!(operation, recorded.operation, "{}", request.id());
        assert_eq!(body, recorded.body, "{}: sent vs recorded", request.id());
    }
}
