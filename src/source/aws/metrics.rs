//! CloudWatch: latest metric values through GetMetricData (up to 500 queries
//! per call) and alarm states through DescribeAlarms.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StateValue,
};
use chrono::{DateTime, Utc};

use super::calls::{ApiError, all_pages, concurrently};
use super::clients::AwsClients;
use super::time;
use crate::config::CustomMetric;
use crate::model::declared::Declared;
use crate::model::history::{self, Backfill};
use crate::model::{Alarm, AlarmState, ServiceKey, ServiceMetrics};

/// GetMetricData's limit of queries per call.
const QUERIES_PER_CALL: usize = 500;
/// How far back to look for the latest datapoint (ECS publishes every minute).
pub const LOOKBACK_MIN: i64 = 10;
/// What a high-resolution metric's read between the fleet's looks back on.
pub const HIGH_RES_LOOKBACK_MIN: i64 = 5;
/// The first read asks for what the history holds (an hour): GetMetricData
/// bills per metric, not per datapoint, so the sparklines open full for the
/// price of one read.
pub const BACKFILL_MIN: i64 = history::WINDOW_S / 60;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Service(ServiceKey),
    Cache(String),
    /// A metric a runbook declares, by its name.
    Declared(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Cpu,
    Memory,
    P95,
    ErrorRate,
    Requests,
    CacheMemory,
    CacheEvictions,
    CacheConnections,
    /// A declared metric's value.
    Value,
}

impl Field {
    fn custom(name: &str) -> Option<Self> {
        match name {
            "p95_ms" => Some(Field::P95),
            "error_rate_pct" => Some(Field::ErrorRate),
            "requests_per_min" => Some(Field::Requests),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub subject: Subject,
    pub field: Field,
    pub namespace: String,
    pub metric: String,
    pub stat: String,
    pub dimensions: Vec<(String, String)>,
    pub period_s: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CacheMetrics {
    pub memory_pct: Option<f64>,
    pub evictions_per_min: Option<f64>,
    pub connections: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricValues {
    pub services: BTreeMap<ServiceKey, ServiceMetrics>,
    pub caches: BTreeMap<String, CacheMetrics>,
    /// Declared metrics' latest values, by name.
    pub declared: BTreeMap<String, f64>,
}

/// The queries for a fleet and the metrics runbooks declare; unknown custom
/// fields come back as a warning.
pub fn queries(
    services: &[ServiceKey],
    caches: &[String],
    custom: &[CustomMetric],
    declared: &[Declared],
) -> (Vec<Query>, Option<String>) {
    let mut out = Vec::new();
    for d in declared {
        out.push(Query {
            subject: Subject::Declared(d.name.clone()),
            field: Field::Value,
            namespace: d.query.namespace.clone(),
            metric: d.query.metric.clone(),
            stat: d.query.stat.clone(),
            dimensions: d.query.dimensions.clone(),
            period_s: d.query.period_s,
        });
    }
    for key in services {
        let dims = vec![
            ("ClusterName".to_string(), key.cluster.clone()),
            ("ServiceName".to_string(), key.service.clone()),
        ];
        for (field, metric) in [
            (Field::Cpu, "CPUUtilization"),
            (Field::Memory, "MemoryUtilization"),
        ] {
            out.push(Query {
                subject: Subject::Service(key.clone()),
                field,
                namespace: "AWS/ECS".into(),
                metric: metric.into(),
                stat: "Average".into(),
                dimensions: dims.clone(),
                period_s: 60,
            });
        }
        for m in custom {
            let Some(field) = Field::custom(&m.field) else {
                continue;
            };
            out.push(Query {
                subject: Subject::Service(key.clone()),
                field,
                namespace: m.namespace.clone(),
                metric: m.metric.clone(),
                stat: m.stat.clone(),
                dimensions: m
                    .dimensions
                    .iter()
                    .map(|(k, v)| {
                        let v = v
                            .replace("{cluster}", &key.cluster)
                            .replace("{service}", &key.service);
                        (k.clone(), v)
                    })
                    .collect(),
                period_s: 60,
            });
        }
    }
    for id in caches {
        for (field, metric, stat) in [
            (
                Field::CacheMemory,
                "DatabaseMemoryUsagePercentage",
                "Average",
            ),
            (Field::CacheEvictions, "Evictions", "Sum"),
            (Field::CacheConnections, "CurrConnections", "Average"),
        ] {
            out.push(Query {
                subject: Subject::Cache(id.clone()),
                field,
                namespace: "AWS/ElastiCache".into(),
                metric: metric.into(),
                stat: stat.into(),
                dimensions: vec![("CacheClusterId".into(), id.clone())],
                period_s: 60,
            });
        }
    }
    let unknown: Vec<&str> = custom
        .iter()
        .filter(|m| Field::custom(&m.field).is_none())
        .map(|m| m.field.as_str())
        .collect();
    let warning = (!unknown.is_empty()).then(|| {
        format!(
            "unknown custom metric field {} (use p95_ms, error_rate_pct or requests_per_min)",
            unknown.join(", ")
        )
    });
    (out, warning)
}

/// Latest value of every query (`None` where CloudWatch has no datapoint
/// yet), and the datapoints of the last `lookback_min` minutes before it.
pub async fn read(
    c: &AwsClients,
    queries: &[Query],
    now: DateTime<Utc>,
    lookback_min: i64,
) -> Result<(MetricValues, Backfill), ApiError> {
    let start = aws_smithy_types::DateTime::from_secs((now.timestamp() - lookback_min * 60).max(0));
    let end = aws_smithy_types::DateTime::from_secs(now.timestamp());
    let batches = concurrently(
        queries
            .chunks(QUERIES_PER_CALL)
            .map(<[Query]>::to_vec)
            .enumerate()
            .map(|(batch, chunk)| async move {
                let base = batch * QUERIES_PER_CALL;
                let requests: Vec<MetricDataQuery> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, q)| request(&format!("q{}", base + i), q))
                    .collect();
                let found = all_pages("cloudwatch:GetMetricData", |token| {
                    let requests = requests.clone();
                    async move {
                        let page = c
                            .calls
                            .run(
                                "cloudwatch:GetMetricData",
                                c.cloudwatch
                                    .get_metric_data()
                                    .set_metric_data_queries(Some(requests))
                                    .start_time(start)
                                    .end_time(end)
                                    .scan_by(ScanBy::TimestampDescending)
                                    .set_next_token(token)
                                    .send(),
                            )
                            .await?;
                        let mut found = Vec::new();
                        for r in page.metric_data_results() {
                            let index = r
                                .id()
                                .and_then(|id| id.strip_prefix('q'))
                                .and_then(|n| n.parse::<usize>().ok());
                            let points: Vec<(i64, f64)> = r
                                .timestamps()
                                .iter()
                                .zip(r.values())
                                .map(|(t, v)| (t.secs(), *v))
                                .collect();
                            if let Some(index) = index {
                                found.push((index, points));
                            }
                        }
                        Ok((found, page.next_token().map(str::to_string)))
                    }
                })
                .await?;
                // A query's datapoints may span pages: gather them, oldest first.
                let mut series: BTreeMap<usize, Vec<(i64, f64)>> = BTreeMap::new();
                for (index, points) in found {
                    series.entry(index).or_default().extend(points);
                }
                for points in series.values_mut() {
                    points.sort_by_key(|p| p.0);
                    points.dedup_by_key(|p| p.0);
                }
                Ok(series)
            }),
    )
    .await?;
    let series: BTreeMap<usize, Vec<(i64, f64)>> = batches.into_iter().flatten().collect();
    let latest = series
        .iter()
        .filter_map(|(index, points)| Some((*index, points.last()?.1)));
    let mut values = MetricValues::default();
    for q in queries {
        match &q.subject {
            Subject::Service(key) => {
                values.services.entry(key.clone()).or_default();
            }
            Subject::Cache(id) => {
                values.caches.entry(id.clone()).or_default();
            }
            Subject::Declared(_) => {}
        }
    }
    for (index, v) in latest {
        let Some(q) = queries.get(index) else {
            continue;
        };
        match &q.subject {
            Subject::Service(key) => {
                let m = values.services.entry(key.clone()).or_default();
                let slot = match q.field {
                    Field::Cpu => &mut m.cpu_pct,
                    Field::Memory => &mut m.memory_pct,
                    Field::P95 => &mut m.p95_ms,
                    Field::ErrorRate => &mut m.error_rate_pct,
                    _ => &mut m.requests_per_min,
                };
                *slot = Some(v);
            }
            Subject::Cache(id) => {
                let m = values.caches.entry(id.clone()).or_default();
                let slot = match q.field {
                    Field::CacheMemory => &mut m.memory_pct,
                    Field::CacheEvictions => &mut m.evictions_per_min,
                    _ => &mut m.connections,
                };
                *slot = Some(v);
            }
            Subject::Declared(name) => {
                values.declared.insert(name.clone(), v);
            }
        }
    }
    Ok((values, backfill(queries, &series)))
}

/// Every datapoint but each series' newest (the snapshot carries that one),
/// as history points.
fn backfill(queries: &[Query], series: &BTreeMap<usize, Vec<(i64, f64)>>) -> Backfill {
    let mut out = Backfill::default();
    for (index, points) in series {
        let Some(q) = queries.get(*index) else {
            continue;
        };
        let metric = match q.field {
            Field::Cpu => history::Metric::Cpu,
            Field::Memory => history::Metric::Memory,
            Field::P95 => history::Metric::P95,
            Field::ErrorRate => history::Metric::ErrorRate,
            Field::Requests => history::Metric::Requests,
            Field::CacheMemory => history::Metric::CacheMemory,
            Field::CacheEvictions => history::Metric::Evictions,
            Field::Value => history::Metric::Value,
            Field::CacheConnections => continue,
        };
        let subject = match &q.subject {
            Subject::Service(key) => history::Subject::Service(key.clone()),
            Subject::Cache(id) => history::Subject::Cache(id.clone()),
            Subject::Declared(name) => history::Subject::Declared(name.clone()),
        };
        let older = &points[..points.len().saturating_sub(1)];
        if !older.is_empty() {
            out.series.push((subject, metric, older.to_vec()));
        }
    }
    out
}

fn request(id: &str, q: &Query) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(&q.namespace)
        .metric_name(&q.metric)
        .set_dimensions(Some(
            q.dimensions
                .iter()
                .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                .collect(),
        ))
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(q.period_s as i32)
                .stat(&q.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// Every metric alarm's state; the subject is the service or cache it watches.
pub async fn alarms(c: &AwsClients) -> Result<Vec<Alarm>, ApiError> {
    let mut out = all_pages("cloudwatch:DescribeAlarms", |token| async move {
        let page = c
            .calls
            .run(
                "cloudwatch:DescribeAlarms",
                c.cloudwatch
                    .describe_alarms()
                    .max_records(100)
                    .set_next_token(token)
                    .send(),
            )
            .await?;
        let mut found = Vec::new();
        for a in page.metric_alarms() {
            let Some(name) = a.alarm_name() else {
                continue;
            };
            let dim = |n: &str| {
                a.dimensions()
                    .iter()
                    .find(|d| d.name() == Some(n))
                    .and_then(|d| d.value())
            };
            let subject = match (
                dim("ClusterName"),
                dim("ServiceName"),
                dim("CacheClusterId"),
            ) {
                (Some(cluster), Some(service), _) => Some(format!("{cluster}/{service}")),
                (_, _, Some(cache)) => Some(cache.to_string()),
                _ => None,
            };
            found.push(Alarm {
                name: name.to_string(),
                state: match a.state_value() {
                    Some(StateValue::Alarm) => AlarmState::Alarm,
                    Some(StateValue::Ok) => AlarmState::Ok,
                    _ => AlarmState::InsufficientData,
                },
                reason: a.state_reason().unwrap_or("").to_string(),
                updated_at: a
                    .state_updated_timestamp()
                    .map(time)
                    .unwrap_or_else(Utc::now),
                subject,
            });
        }
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_metrics_fill_placeholders_and_flag_unknown_fields() {
        let custom = vec![
            CustomMetric {
                field: "p95_ms".into(),
                namespace: "AWS/ApplicationELB".into(),
                metric: "TargetResponseTime".into(),
                stat: "p95".into(),
                dimensions: BTreeMap::from([(
                    "TargetGroup".into(),
                    "tg-{cluster}-{service}".into(),
                )]),
            },
            CustomMetric {
                field: "latency".into(),
                namespace: "X".into(),
                metric: "Y".into(),
                stat: "Average".into(),
                dimensions: BTreeMap::new(),
            },
        ];
        let declared = Declared {
            name: "read_throttles".into(),
            query: crate::model::declared::MetricQuery {
                namespace: "AWS/DynamoDB".into(),
                metric: "ReadThrottleEvents".into(),
                dimensions: vec![("TableName".into(), "sessions".into())],
                stat: "Sum".into(),
                period_s: 300,
            },
        };
        let (qs, warning) = queries(
            &[ServiceKey::new("manga", "api")],
            &["redis-1".into()],
            &custom,
            &[declared],
        );
        assert_eq!(qs.len(), 1 + 2 + 1 + 3);
        // A declared metric is asked once, at its own period, whatever the fleet's size.
        assert_eq!(qs[0].subject, Subject::Declared("read_throttles".into()));
        assert_eq!(qs[0].period_s, 300);
        assert_eq!(
            qs[3].dimensions,
            vec![("TargetGroup".into(), "tg-manga-api".into())]
        );
        assert!(warning.unwrap().contains("latency"));
    }
}
