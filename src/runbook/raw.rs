//! The runbook file as written, every value with its byte span so problems can
//! name file, line and column. Kind-specific checks happen in `load`.

use std::collections::BTreeMap;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRunbook {
    pub id: S<String>,
    pub title: S<String>,
    #[serde(default)]
    pub description: Option<S<String>>,
    pub scope: S<String>,
    #[serde(default)]
    pub start: Option<S<String>>,
    #[serde(default)]
    pub trigger: Option<S<RawTrigger>>,
    #[serde(default, rename = "metric")]
    pub metrics: Vec<S<RawMetric>>,
    #[serde(default, rename = "node")]
    pub nodes: Vec<S<RawNode>>,
}

/// `[[metric]]`: a CloudWatch metric the runbook reads as `metric('name')`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    pub name: S<String>,
    pub namespace: S<String>,
    pub metric: S<String>,
    #[serde(default)]
    pub dimensions: BTreeMap<String, S<String>>,
    pub stat: S<String>,
    #[serde(default)]
    pub period: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrigger {
    pub when: S<String>,
    pub why: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnswer {
    pub name: S<String>,
    #[serde(default)]
    pub when: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVerify {
    pub when: S<String>,
    pub minutes: S<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRevertAction {
    pub action: S<String>,
    #[serde(default)]
    pub params: BTreeMap<String, S<String>>,
}

/// `revert = "auto"` or `revert = { action = "...", params = { ... } }`.
#[derive(Debug)]
pub enum RawRevert {
    Auto,
    Action(RawRevertAction),
}

impl<'de> Deserialize<'de> for RawRevert {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRevert;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#""auto" or a table { action = "...", params = { ... } }"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRevert, E> {
                if v == "auto" {
                    Ok(RawRevert::Auto)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawRevert, A::Error> {
                RawRevertAction::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawRevert::Action)
            }
        }
        d.deserialize_any(V)
    }
}

/// One node; which fields are allowed depends on `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub id: S<String>,
    pub kind: S<String>,
    pub phase: S<String>,
    #[serde(default)]
    pub title: Option<S<String>>,
    // check
    #[serde(default)]
    pub question: Option<S<String>>,
    #[serde(default)]
    pub expr: Option<S<String>>,
    #[serde(default)]
    pub answers: Option<S<Vec<S<RawAnswer>>>>,
    #[serde(default)]
    pub edges: Option<S<BTreeMap<String, S<String>>>>,
    #[serde(default)]
    pub labels: Option<S<BTreeMap<String, S<String>>>>,
    #[serde(default)]
    pub evidence: Option<S<Vec<S<String>>>>,
    // action
    #[serde(default)]
    pub action: Option<S<String>>,
    #[serde(default)]
    pub params: Option<S<BTreeMap<String, S<String>>>>,
    #[serde(default)]
    pub revert: Option<S<RawRevert>>,
    #[serde(default)]
    pub verify: Option<S<RawVerify>>,
    // step, done, escalate
    #[serde(default)]
    pub text: Option<S<String>>,
    // step: the command the operator runs (shown, recorded when ticked)
    #[serde(default)]
    pub command: Option<S<String>>,
    // action, step
    #[serde(default)]
    pub next: Option<S<String>>,
    // wait
    #[serde(default)]
    pub when: Option<S<String>>,
    #[serde(default)]
    pub minutes: Option<S<f64>>,
}

impl RawNode {
    /// Fields present beyond id/kind/phase/title, with their spans.
    pub fn present(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        macro_rules! field {
            ($name:ident) => {
                if let Some(v) = &self.$name {
                    out.push((stringify!($name), v.span()));
                }
            };
        }
        field!(question);
        field!(expr);
        field!(answers);
        field!(edges);
        field!(labels);
        field!(evidence);
        field!(action);
        field!(params);
        field!(revert);
        field!(verify);
        field!(text);
        field!(command);
        field!(next);
        field!(when);
        field!(minutes);
        out
    }
}

/// Fields each kind accepts, besides id, kind, phase and title.
pub fn allowed_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "check" => &["question", "expr", "answers", "edges", "labels", "evidence"],
        "action" => &["action", "params", "revert", "verify", "next"],
        "step" => &["text", "command", "next"],
        "wait" => &["when", "minutes", "edges", "labels"],
        "done" | "escalate" => &["text"],
        _ => return None,
    })
}
