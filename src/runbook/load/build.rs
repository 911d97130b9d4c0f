//! Raw file -> validated `Runbook`: every node, edge, expression and action
//! checked, each problem reported at its place in the file.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde_json::Map;

use super::Problem;
use super::source::Source;
use crate::action::catalogue::{self, MANUAL, ParamType, Target, TargetKind};
use crate::model::declared::{Declared, MetricQuery};
use crate::model::evidence::LogQuery;
use crate::runbook::cel::check::{self, CheckEnv, did_you_mean};
use crate::runbook::cel::functions::{CACHE_METRICS, SERVICE_METRICS};
use crate::runbook::cel::schema::Ty;
use crate::runbook::cel::{Evaluator, Expr, Template};
use crate::runbook::graph;
use crate::runbook::model::{
    ActionNode, Answer, Check, Node, NodeKind, Phase, Revert, Runbook, ScopeKind, Trigger, Verify,
    Wait,
};
use crate::runbook::raw::{RawNode, RawRevert, RawRunbook, S, allowed_fields};
use crate::runbook::sample;

/// A checked action call: id, parameter expressions, and their values on the sample fleet.
type ActionCall = (String, Vec<(String, Expr)>, Map<String, serde_json::Value>);

/// An action's `params` table and its span.
type ParamTable<'t> = (Range<usize>, &'t BTreeMap<String, S<String>>);

/// What an expression must produce.
#[derive(Clone, PartialEq)]
enum Want {
    Bool,
    Any,
    /// An action parameter of this catalogue type.
    Param(ParamType),
}

impl Want {
    fn check(&self) -> check::Want {
        match self {
            Want::Bool => check::Want::Bool,
            Want::Any => check::Want::Any,
            Want::Param(p) => check::Want::Param(param_ty(*p)),
        }
    }
}

/// How a catalogue parameter looks to CEL.
fn param_ty(p: ParamType) -> Ty {
    match p {
        ParamType::Count => Ty::Double,
        ParamType::Text => Ty::String,
        ParamType::Strategy => Ty::list(Ty::Dyn),
    }
}

pub(super) struct Builder<'a> {
    src: Source<'a>,
    pub(super) problems: Vec<Problem>,
    scope: ScopeKind,
    sample: Evaluator,
    /// What expressions are checked against; `proposed` is set for a verify.
    env: CheckEnv,
    ids: HashMap<String, usize>,
    /// An edge names no node: "unreachable" after it would only be its echo.
    dangling: bool,
    /// What the runbook's `log_matches` calls count, for a walk's reader.
    log_queries: Vec<LogQuery>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(src: Source<'a>, raw: &RawRunbook) -> Self {
        let mut problems = Vec::new();
        let scope = match raw.scope.get_ref().as_str() {
            "service" => ScopeKind::Service,
            "cache" => ScopeKind::Cache,
            other => {
                problems.push(src.problem(
                    raw.scope.span().start,
                    format!("unknown scope `{other}` (expected `service` or `cache`)"),
                ));
                ScopeKind::Service
            }
        };
        let sample = sample::with_context(|ec| {
            let scope = sample::scope(scope);
            let mut eval = Evaluator::new(ec, &scope);
            eval.set_at_start(&Evaluator::subject(ec, &scope));
            eval
        });
        let mut ids = HashMap::new();
        for (i, node) in raw.nodes.iter().enumerate() {
            let id = node.get_ref().id.get_ref();
            if ids.contains_key(id) {
                problems.push(src.problem(
                    node.get_ref().id.span().start,
                    format!("duplicate node id `{id}`"),
                ));
            } else {
                ids.insert(id.clone(), i);
            }
        }
        Self {
            src,
            problems,
            scope,
            sample,
            env: CheckEnv {
                scope,
                proposed: None,
                walk: true,
                declared: Vec::new(),
            },
            ids,
            dangling: false,
            log_queries: Vec::new(),
        }
    }

    fn report(&mut self, offset: usize, message: impl Into<String>) {
        self.problems.push(self.src.problem(offset, message));
    }

    pub(super) fn build(&mut self, raw: &RawRunbook) -> Option<Runbook> {
        let metrics = self.metrics(raw);
        self.env.declared = metrics.iter().map(|d| d.name.clone()).collect();
        // A trigger is evaluated before any walk: no `at_start` there.
        self.env.walk = false;
        let trigger = raw.trigger.as_ref().and_then(|t| {
            let t = t.get_ref();
            let when = self.expr(&t.when, Want::Bool);
            let why = self.template(&t.why);
            Some(Trigger {
                when: when?,
                why: why?,
            })
        });
        self.env.walk = true;
        if raw.nodes.is_empty() {
            self.report(
                raw.id.span().start,
                "a runbook needs at least one `[[node]]`",
            );
            return None;
        }
        let start = match &raw.start {
            Some(s) => self.target(s),
            None => Some(0),
        };
        let nodes: Vec<Option<Node>> = raw.nodes.iter().map(|n| self.node(n)).collect();
        if let Some(start) = start {
            self.graph(raw, start);
        }
        let nodes: Option<Vec<Node>> = nodes.into_iter().collect();
        Some(Runbook {
            id: raw.id.get_ref().clone(),
            title: raw.title.get_ref().clone(),
            description: raw
                .description
                .as_ref()
                .map(|d| d.get_ref().trim().to_string())
                .unwrap_or_default(),
            scope: self.scope,
            trigger: match raw.trigger {
                Some(_) => Some(trigger?),
                None => None,
            },
            start: start?,
            nodes: nodes?,
            log_queries: std::mem::take(&mut self.log_queries),
            metrics,
            origin: self.src.file.to_string(),
        })
    }

    /// The `[[metric]]` declarations; a bad one is reported and left out.
    fn metrics(&mut self, raw: &RawRunbook) -> Vec<Declared> {
        let mut out: Vec<Declared> = Vec::new();
        for m in &raw.metrics {
            let m = m.get_ref();
            let name = m.name.get_ref();
            let builtin =
                SERVICE_METRICS.contains(&name.as_str()) || CACHE_METRICS.contains(&name.as_str());
            let problem = if !valid_name(name) {
                Some((
                    m.name.span().start,
                    format!(
                        "metric name `{name}`: use lowercase letters, digits and `_`, starting with a letter"
                    ),
                ))
            } else if builtin {
                Some((
                    m.name.span().start,
                    format!("metric name `{name}` is a built-in metric; pick another"),
                ))
            } else if out.iter().any(|d| &d.name == name) {
                Some((
                    m.name.span().start,
                    format!("metric `{name}` is declared twice"),
                ))
            } else if m.namespace.get_ref().trim().is_empty()
                || m.metric.get_ref().trim().is_empty()
            {
                Some((
                    m.namespace.span().start,
                    "`namespace` and `metric` must not be empty".to_string(),
                ))
            } else if !valid_stat(m.stat.get_ref()) {
                Some((
                    m.stat.span().start,
                    format!(
                        "unknown statistic `{}` (Average, Sum, Maximum, Minimum, SampleCount, or a percentile such as p95 or p99.9)",
                        m.stat.get_ref()
                    ),
                ))
            } else {
                None
            };
            let period = m.period.as_ref().map_or(Ok(60), |p| match *p.get_ref() {
                v @ (1 | 5 | 10 | 30) => Ok(v as u32),
                v if v >= 60 && v % 60 == 0 && v <= 86_400 => Ok(v as u32),
                v => Err((
                    p.span().start,
                    format!(
                        "period {v}: CloudWatch takes 1, 5, 10, 30 or a multiple of 60 seconds"
                    ),
                )),
            });
            match (problem, period) {
                (Some((at, message)), _) | (None, Err((at, message))) => self.report(at, message),
                (None, Ok(period_s)) => out.push(Declared {
                    name: name.clone(),
                    query: MetricQuery {
                        namespace: m.namespace.get_ref().trim().to_string(),
                        metric: m.metric.get_ref().trim().to_string(),
                        dimensions: m
                            .dimensions
                            .iter()
                            .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                            .collect(),
                        stat: m.stat.get_ref().clone(),
                        period_s,
                    },
                }),
            }
        }
        out
    }

    fn target(&mut self, s: &S<String>) -> Option<usize> {
        let id = s.get_ref();
        let found = self.ids.get(id).copied();
        if found.is_none() {
            self.dangling = true;
            let hint = did_you_mean(id, self.ids.keys().map(String::as_str));
            self.report(s.span().start, format!("no node with id `{id}`{hint}"));
        }
        found
    }

    /// File offset of a byte offset inside the expression text at `s`.
    fn at_in(&self, s: &S<String>, offset: usize) -> usize {
        let text = s.get_ref();
        let before = text.get(..offset.min(text.len())).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.src.inside(&s.span(), line, col)
    }

    /// Type-check statically: every operand, whatever the sample's values.
    fn typecheck(&mut self, s: &S<String>, want: &Want) -> bool {
        let (errors, queries) = check::checked(s.get_ref(), &want.check(), &self.env);
        self.queries(queries);
        for e in &errors {
            let at = self.at_in(s, e.offset);
            self.report(at, format!("expression `{}`: {}", s.get_ref(), e.message));
        }
        errors.is_empty()
    }

    fn queries(&mut self, queries: Vec<LogQuery>) {
        for q in queries {
            if !self.log_queries.contains(&q) {
                self.log_queries.push(q);
            }
        }
    }

    fn compile(&mut self, s: &S<String>) -> Option<Expr> {
        match Expr::compile(s.get_ref()) {
            Ok(e) => Some(e),
            Err(e) => {
                let at = self.src.inside(&s.span(), e.line, e.col);
                self.report(at, format!("expression does not parse: {}", e.message));
                None
            }
        }
    }

    /// Compile and type-check. Only action parameters are also evaluated on
    /// the sample fleet (their values must fit the catalogue); other runtime
    /// conditions (a missing tag, a metric without data) stop a walk at the
    /// node, which is how a walk handles what it does not know.
    fn expr(&mut self, s: &S<String>, want: Want) -> Option<Expr> {
        let expr = self.compile(s)?;
        if !self.typecheck(s, &want) {
            return None;
        }
        if !matches!(want, Want::Param(_)) {
            return Some(expr);
        }
        let at = self.src.content_start(&s.span());
        match self.sample.eval(&expr) {
            Ok(_) => Some(expr),
            Err(e) => {
                let hint = if e.contains("Int(") {
                    " (numbers are doubles: write 5.0, not 5)"
                } else {
                    ""
                };
                self.report(at, format!("expression `{}`: {e}{hint}", expr.src));
                None
            }
        }
    }

    fn template(&mut self, s: &S<String>) -> Option<Template> {
        let at = self.src.content_start(&s.span());
        match Template::parse(s.get_ref()) {
            Ok(t) => {
                let mut ok = true;
                for (offset, e) in t.exprs_at() {
                    let (errors, queries) = check::checked(&e.src, &check::Want::Any, &self.env);
                    self.queries(queries);
                    for err in errors {
                        // Offsets in the text equal offsets in the file for plain strings.
                        self.report(
                            at + offset + err.offset,
                            format!("expression `{}` in text: {}", e.src, err.message),
                        );
                        ok = false;
                    }
                }
                ok.then_some(t)
            }
            Err((offset, message)) => {
                // Offsets in the text equal offsets in the file for plain strings.
                self.report(at + offset, message);
                None
            }
        }
    }

    fn required<'r, T>(
        &mut self,
        node: &RawNode,
        field: &'r Option<S<T>>,
        name: &str,
    ) -> Option<&'r S<T>> {
        if field.is_none() {
            self.report(
                node.id.span().start,
                format!(
                    "`{}` node `{}` needs `{name}`",
                    node.kind.get_ref(),
                    node.id.get_ref()
                ),
            );
        }
        field.as_ref()
    }

    fn node(&mut self, spanned: &S<RawNode>) -> Option<Node> {
        let n = spanned.get_ref();
        let kind = n.kind.get_ref().as_str();
        let Some(allowed) = allowed_fields(kind) else {
            self.report(
                n.kind.span().start,
                format!("unknown node kind `{kind}` (expected check, action, step, wait, done or escalate)"),
            );
            return None;
        };
        for (field, span) in n.present() {
            if !allowed.contains(&field) {
                self.report(
                    span.start,
                    format!(
                        "`{field}` does not belong on a `{kind}` node (allowed: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
        let phase = Phase::parse(n.phase.get_ref());
        if phase.is_none() {
            self.report(
                n.phase.span().start,
                format!(
                    "unknown phase `{}` (expected detect, triage, mitigate, verify or revert)",
                    n.phase.get_ref()
                ),
            );
        }
        let kind = match kind {
            "check" => self.check(n).map(NodeKind::Check),
            "action" => self.action(n).map(NodeKind::Action),
            "step" => {
                let text = self
                    .required(n, &n.text, "text")
                    .and_then(|t| self.template(t));
                let command = match &n.command {
                    Some(c) => Some(self.template(c)?),
                    None => None,
                };
                let next = self
                    .required(n, &n.next, "next")
                    .and_then(|t| self.target(t));
                Some(NodeKind::Step {
                    text: text?,
                    command,
                    next: next?,
                })
            }
            "wait" => self.wait(n).map(NodeKind::Wait),
            "escalate" => {
                let text = self
                    .required(n, &n.text, "text")
                    .and_then(|t| self.template(t));
                Some(NodeKind::Escalate { text: text? })
            }
            _ => {
                let text = match &n.text {
                    Some(t) => self.template(t)?,
                    None => Template::parse("Done").ok()?,
                };
                Some(NodeKind::Done { text })
            }
        };
        Some(Node {
            id: n.id.get_ref().clone(),
            phase: phase?,
            title: n.title.as_ref().map(|t| t.get_ref().clone()),
            kind: kind?,
        })
    }

    /// Resolve an edge table whose keys must be exactly `answers`.
    fn edges(&mut self, n: &RawNode, answers: &[String]) -> Option<Vec<(String, usize)>> {
        let edges = self.required(n, &n.edges, "edges")?;
        let table = edges.get_ref();
        let mut ok = true;
        for (key, target) in table {
            if !answers.contains(key) {
                self.report(
                    target.span().start,
                    format!(
                        "edge `{key}` is not an answer of node `{}` (answers: {})",
                        n.id.get_ref(),
                        answers.join(", ")
                    ),
                );
                ok = false;
            }
        }
        let mut out = Vec::new();
        for answer in answers {
            match table.get(answer) {
                Some(target) => match self.target(target) {
                    Some(t) => out.push((answer.clone(), t)),
                    None => ok = false,
                },
                None => {
                    self.report(
                        edges.span().start,
                        format!("answer `{answer}` of node `{}` has no edge", n.id.get_ref()),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn check(&mut self, n: &RawNode) -> Option<Check> {
        let question = self
            .required(n, &n.question, "question")
            .map(|q| q.get_ref().clone());
        let answers: Option<Vec<Answer>> = match (&n.expr, &n.answers) {
            (Some(e), None) => self.expr(e, Want::Bool).map(|when| {
                let not = Expr::compile(&format!("!({})", when.src)).ok();
                vec![
                    Answer {
                        name: "yes".into(),
                        when: Some(when),
                    },
                    Answer {
                        name: "no".into(),
                        when: not,
                    },
                ]
            }),
            (None, Some(list)) => {
                let mut out = Vec::new();
                let mut ok = true;
                for a in list.get_ref() {
                    let a = a.get_ref();
                    let when = match &a.when {
                        Some(w) => match self.expr(w, Want::Bool) {
                            Some(e) => Some(e),
                            None => {
                                ok = false;
                                None
                            }
                        },
                        None => None,
                    };
                    if out.iter().any(|x: &Answer| &x.name == a.name.get_ref()) {
                        self.report(
                            a.name.span().start,
                            format!("duplicate answer `{}`", a.name.get_ref()),
                        );
                        ok = false;
                    }
                    out.push(Answer {
                        name: a.name.get_ref().clone(),
                        when,
                    });
                }
                if out.is_empty() {
                    self.report(list.span().start, "a check needs at least one answer");
                    ok = false;
                }
                let catch_all = out
                    .iter()
                    .any(|a| a.when.as_ref().is_none_or(|w| w.src.trim() == "true"));
                if ok && !catch_all {
                    self.report(
                        list.span().start,
                        format!(
                            "check `{}` has no catch-all answer: when no `when` holds, the walk stops here. \
                             Make the last answer `when = \"true\"`, or leave one without `when` for the operator to choose",
                            n.id.get_ref()
                        ),
                    );
                    ok = false;
                }
                ok.then_some(out)
            }
            (Some(e), Some(_)) => {
                self.report(
                    e.span().start,
                    "a check has either `expr` (answers yes/no) or `answers`, not both",
                );
                None
            }
            (None, None) => {
                self.report(
                    n.id.span().start,
                    format!(
                        "check `{}` needs `expr` (yes/no) or `answers`",
                        n.id.get_ref()
                    ),
                );
                None
            }
        };
        let names: Vec<String> = match &answers {
            Some(a) => a.iter().map(|a| a.name.clone()).collect(),
            None => match &n.answers {
                Some(list) => list
                    .get_ref()
                    .iter()
                    .map(|a| a.get_ref().name.get_ref().clone())
                    .collect(),
                None => vec!["yes".into(), "no".into()],
            },
        };
        let edges = self.edges(n, &names);
        let labels = self.labels(n, &names);
        let mut evidence = Vec::new();
        let mut evidence_ok = true;
        for e in n.evidence.iter().flat_map(|e| e.get_ref()) {
            match self.expr(e, Want::Any) {
                Some(e) => evidence.push(e),
                None => evidence_ok = false,
            }
        }
        Some(Check {
            question: question?,
            answers: answers?,
            edges: edges?,
            labels,
            evidence: evidence_ok.then_some(evidence)?,
        })
    }

    /// Edge labels for diagrams; keys must be answers.
    fn labels(&mut self, n: &RawNode, answers: &[String]) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        for (key, text) in n.labels.iter().flat_map(|l| l.get_ref()) {
            if answers.contains(key) {
                labels.insert(key.clone(), text.get_ref().clone());
            } else {
                self.report(
                    text.span().start,
                    format!(
                        "label `{key}` is not an answer of node `{}`",
                        n.id.get_ref()
                    ),
                );
            }
        }
        labels
    }

    fn wait(&mut self, n: &RawNode) -> Option<Wait> {
        let when = self
            .required(n, &n.when, "when")
            .and_then(|w| self.expr(w, Want::Bool));
        let minutes = self
            .required(n, &n.minutes, "minutes")
            .and_then(|m| self.minutes(m));
        let names = ["met".to_string(), "timeout".to_string()];
        let edges = self.edges(n, &names);
        let labels = self.labels(n, &names);
        let edges = edges?;
        Some(Wait {
            when: when?,
            minutes: minutes?,
            met: edges[0].1,
            timeout: edges[1].1,
            labels,
        })
    }

    fn minutes(&mut self, m: &S<f64>) -> Option<f64> {
        let v = *m.get_ref();
        if v.is_finite() && v > 0.0 && v <= 24.0 * 60.0 {
            Some(v)
        } else {
            self.report(
                m.span().start,
                format!("minutes must be > 0 and at most a day, got {v}"),
            );
            None
        }
    }

    fn sample_target(&self, kind: TargetKind) -> Target {
        match kind {
            TargetKind::Cache => Target::Cache {
                id: sample::CACHE_ID.into(),
                parameter_group: "sample-redis7".into(),
            },
            _ => Target::Service(sample::service_key()),
        }
    }

    /// Check an action id and its parameters against the catalogue, building
    /// the request from the sample fleet.
    fn action_call(
        &mut self,
        id: &S<String>,
        params: Option<ParamTable<'_>>,
    ) -> Option<ActionCall> {
        let name = id.get_ref();
        let Some(spec) = catalogue::spec(name) else {
            let known: Vec<&str> = catalogue::CATALOGUE.iter().map(|s| s.id).collect();
            let hint = did_you_mean(name, known.iter().copied());
            self.report(
                id.span().start,
                format!(
                    "unknown action `{name}`{hint} (known: {})",
                    known.join(", ")
                ),
            );
            return None;
        };
        if spec.id == MANUAL {
            self.report(
                id.span().start,
                "a manual action is a `step` node, not an `action` node",
            );
            return None;
        }
        let wanted = matches!(
            (spec.target, self.scope),
            (TargetKind::Service, ScopeKind::Service) | (TargetKind::Cache, ScopeKind::Cache)
        );
        if !wanted {
            self.report(
                id.span().start,
                format!(
                    "action `{name}` cannot target this runbook's scope `{}`",
                    self.scope.label()
                ),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut values = Map::new();
        let mut ok = true;
        let table_start = params.as_ref().map_or(id.span().start, |p| p.0.start);
        for (pname, src) in params.map(|p| p.1).into_iter().flatten() {
            if !spec.params.iter().any(|p| p.name == pname) {
                let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                let hint = did_you_mean(pname, names.iter().copied());
                self.report(
                    src.span().start,
                    format!(
                        "action `{name}` has no parameter `{pname}` (parameters: {}){hint}",
                        names.join(", ")
                    ),
                );
                ok = false;
                continue;
            }
            let ty = spec
                .params
                .iter()
                .find(|p| p.name == pname)
                .map_or(ParamType::Text, |p| p.ty);
            let Some(expr) = self.expr(src, Want::Param(ty)) else {
                ok = false;
                continue;
            };
            match self.sample.eval_json(&expr) {
                Ok(v) => {
                    values.insert(pname.clone(), v);
                }
                Err(e) => {
                    let at = self.src.content_start(&src.span());
                    self.report(at, format!("parameter `{pname}`: {e}"));
                    ok = false;
                }
            }
            out.push((pname.clone(), expr));
        }
        if ok && let Err(e) = catalogue::build(name, &self.sample_target(spec.target), &values) {
            self.report(table_start, format!("on the sample fleet: {e}"));
            ok = false;
        }
        ok.then_some((name.clone(), out, values))
    }

    fn action(&mut self, n: &RawNode) -> Option<ActionNode> {
        let id = self.required(n, &n.action, "action")?;
        let params = n.params.as_ref().map(|p| (p.span(), p.get_ref()));
        let call = self.action_call(id, params);
        let revert = match &n.revert {
            None => {
                if catalogue::spec(id.get_ref()).is_some_and(|s| s.needs_revert) {
                    self.report(
                        id.span().start,
                        format!(
                            "action `{}` raises capacity or changes strategy: name its revert (`revert = \"auto\"` or `revert = {{ action = ..., params = {{ ... }} }}`)",
                            id.get_ref()
                        ),
                    );
                    None
                } else {
                    Some(Revert::None)
                }
            }
            Some(r) => match r.get_ref() {
                RawRevert::Auto => Some(Revert::Auto),
                RawRevert::Action(a) => {
                    let params = Some((r.span(), &a.params));
                    self.action_call(&a.action, params)
                        .map(|(action, params, _)| Revert::Action { action, params })
                }
            },
        };
        let verify = match &n.verify {
            Some(v) => {
                let v = v.get_ref();
                // `proposed`: the action's parameters as applied.
                self.env.proposed = catalogue::spec(id.get_ref()).map(|spec| {
                    spec.params
                        .iter()
                        .map(|p| (p.name.to_string(), param_ty(p.ty)))
                        .collect()
                });
                let when = self.expr(&v.when, Want::Bool);
                self.env.proposed = None;
                let minutes = self.minutes(&v.minutes);
                Some(Some(Verify {
                    when: when?,
                    minutes: minutes?,
                }))
            }
            None => Some(None),
        };
        let next = self
            .required(n, &n.next, "next")
            .and_then(|t| self.target(t));
        let (action, params, _) = call?;
        Some(ActionNode {
            action,
            params,
            revert: revert?,
            verify: verify?,
            next: next?,
        })
    }

    /// Unreachable nodes, and cycles that pass through no wait node (a walk
    /// could spin on them without data time moving).
    fn graph(&mut self, raw: &RawRunbook, start: usize) {
        let adjacency: Vec<Vec<usize>> = raw
            .nodes
            .iter()
            .map(|n| self.raw_targets(n.get_ref()))
            .collect();
        let is_wait: Vec<bool> = raw
            .nodes
            .iter()
            .map(|n| n.get_ref().kind.get_ref() == "wait")
            .collect();
        let id = |i: usize| raw.nodes[i].get_ref().id.get_ref();
        let at = |i: usize| raw.nodes[i].get_ref().id.span().start;
        // After a dangling edge, what it meant to reach is unreachable too:
        // the dangling edge is the problem to report, not its echoes.
        let unreachable = if self.dangling {
            Vec::new()
        } else {
            graph::unreachable(&adjacency, start)
        };
        for i in unreachable {
            self.report(
                at(i),
                format!("node `{}` is unreachable from the start node", id(i)),
            );
        }
        for (from, to) in graph::loops_without_wait(&adjacency, &is_wait) {
            self.report(
                at(to),
                format!(
                    "cycle `{}` -> `{}` passes through no `wait` node: the walk could loop forever",
                    id(from),
                    id(to)
                ),
            );
        }
    }

    /// Targets of a raw node that resolve (dangling ones are reported elsewhere).
    fn raw_targets(&self, n: &RawNode) -> Vec<usize> {
        let mut out = Vec::new();
        let allowed = allowed_fields(n.kind.get_ref()).unwrap_or(&[]);
        if let Some(next) = n.next.as_ref().filter(|_| allowed.contains(&"next")) {
            out.extend(self.ids.get(next.get_ref()));
        }
        if let Some(edges) = n.edges.as_ref().filter(|_| allowed.contains(&"edges")) {
            out.extend(
                edges
                    .get_ref()
                    .values()
                    .filter_map(|t| self.ids.get(t.get_ref())),
            );
        }
        out
    }
}

fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// CloudWatch's statistics: the five plain ones or a percentile `pNN[.N]`.
fn valid_stat(stat: &str) -> bool {
    matches!(
        stat,
        "Average" | "Sum" | "Maximum" | "Minimum" | "SampleCount"
    ) || stat
        .strip_prefix('p')
        .and_then(|p| p.parse::<f64>().ok())
        .is_some_and(|p| p > 0.0 && p < 100.0)
}
