//! Metrics a runbook declares by name: any CloudWatch metric (namespace, name,
//! dimensions, statistic, period). The AWS source reads them in the same
//! batched GetMetricData as the fleet's own; the simulator models those its
//! scenarios use. A name means one metric across the whole runbook library.

use serde::{Deserialize, Serialize};

/// One CloudWatch metric and how to aggregate it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MetricQuery {
    pub namespace: String,
    pub metric: String,
    /// Sorted by dimension name.
    pub dimensions: Vec<(String, String)>,
    /// `Average`, `Sum`, `Maximum`, `Minimum`, `SampleCount` or a percentile (`p95`).
    pub stat: String,
    pub period_s: u32,
}

impl MetricQuery {
    /// `AWS/DynamoDB ReadThrottleEvents TableName=sessions Sum/60s`.
    pub fn label(&self) -> String {
        let dims: Vec<String> = self
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{} {} {} {}/{}s",
            self.namespace,
            self.metric,
            dims.join(","),
            self.stat,
            self.period_s
        )
    }

    /// Same metric, dimensions and statistic (the period aside).
    pub fn same_series(&self, other: &MetricQuery) -> bool {
        self.namespace == other.namespace
            && self.metric == other.metric
            && self.dimensions == other.dimensions
            && self.stat == other.stat
    }
}

/// A declared metric: the name runbooks use, and what it reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Declared {
    pub name: String,
    pub query: MetricQuery,
}

/// A declared metric's latest value (`None`: no datapoint yet).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeclaredValue {
    pub name: String,
    pub value: Option<f64>,
}
