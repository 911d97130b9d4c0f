//! CEL expressions: compiling with positions, evaluating against an
//! `EvalContext`, converting results, and `{expr}` text templates.

use std::sync::{Arc, LazyLock};

use cel::{Context, Env, Program, Value};
use serde_json::json;

use super::context::EvalContext;
use super::functions;
use super::needs::Needs;
use super::variables::Vars;
use crate::runbook::model::Scope;

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// A parser with the standard macros, as `Expr::compile` parses.
pub(crate) fn parser() -> cel::parser::Parser {
    ENV.parser()
}

/// A compiled expression and its source text.
#[derive(Clone, Debug)]
pub struct Expr {
    pub src: String,
    program: Arc<Program>,
}

/// A parse error: 1-based line and column inside the expression text.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Limits that keep parsing and evaluation within a thread's stack: cel's
/// parser and evaluator recurse per nesting level and per binary operator,
/// and a debug build spends a lot of stack on each.
pub const MAX_LEN: usize = 1000;
pub const MAX_NESTING: usize = 8;
pub const MAX_OPERATORS: usize = 16;

/// Check the limits, skipping string literals; the error points at the excess.
fn guard(src: &str) -> Result<(), ExprError> {
    let at = |offset: usize, message: String| {
        let (line, col) = crate::position::line_col(src, offset);
        Err(ExprError { line, col, message })
    };
    if src.len() > MAX_LEN {
        return at(0, format!("expression is longer than {MAX_LEN} characters"));
    }
    let (mut depth, mut operators, mut quote) = (0usize, 0usize, None);
    let bytes = src.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(q) = quote {
            if b == q && bytes.get(i.wrapping_sub(1)) != Some(&b'\\') {
                quote = None;
            }
            continue;
        }
        let next = bytes.get(i + 1).copied();
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return at(i, format!("nested deeper than {MAX_NESTING} brackets"));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            // Two-character operators are counted on their first character.
            b'&' | b'|' if next == Some(b) => operators += 1,
            b'=' | b'!' if next == Some(b'=') => operators += 1,
            b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'?' => operators += 1,
            _ => {}
        }
        if operators > MAX_OPERATORS {
            return at(
                i,
                format!("more than {MAX_OPERATORS} operators: split the condition"),
            );
        }
    }
    Ok(())
}

impl Expr {
    pub fn compile(src: &str) -> Result<Expr, ExprError> {
        guard(src)?;
        match ENV.compile(src) {
            Ok(program) => Ok(Expr {
                src: src.to_string(),
                program: Arc::new(program),
            }),
            Err(errors) => {
                let first = errors.errors.first();
                let (line, col) = first.map_or((1, 0), |e| e.pos);
                Err(ExprError {
                    line: usize::try_from(line).unwrap_or(1).max(1),
                    col: usize::try_from(col).unwrap_or(1).max(1),
                    message: first.map_or_else(|| "does not parse".to_string(), |e| short(&e.msg)),
                })
            }
        }
    }
}

/// The parser's message without its list of every token it would have accepted.
/// The scope's variables, the scoped service found through the context's
/// index when it has one.
fn vars_of(ec: &EvalContext<'_>, scope: &Scope) -> Vars {
    let service = match scope {
        Scope::Service(key) => ec.service(key),
        Scope::Cache(_) => None,
    };
    Vars::new(ec.snapshot, ec.facts, ec.fleet, scope, service)
}

fn short(msg: &str) -> String {
    msg.split(" expecting ").next().unwrap_or(msg).to_string()
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.src == other.src
    }
}

/// Variables and helpers of one evaluation, reused for every expression of a
/// node (and of a whole validation pass).
pub struct Evaluator {
    ctx: Context<'static, 'static>,
}

/// What `exprs` read between them. An expression that does not parse
/// (compiled ones do) is taken to read everything.
pub fn needs_of<'e>(exprs: impl IntoIterator<Item = &'e Expr>) -> Needs {
    let mut needs = Needs::none();
    for expr in exprs {
        match parser().parse(&expr.src) {
            Ok(ast) => needs.add(&ast),
            Err(_) => return Needs::all(),
        }
    }
    needs
}

/// The scope's variables into `ctx`: those `needs` names, with the fields it names.
fn add_scope_vars(
    ctx: &mut Context<'_, 'static>,
    ec: &EvalContext<'_>,
    scope: &Scope,
    needs: &Needs,
) {
    let vars = vars_of(ec, scope);
    if needs.service.any() {
        ctx.add_variable_as_val("service", vars.service.to_cel(&|f| needs.service.wants(f)));
    }
    if needs.cache.any() {
        ctx.add_variable_as_val("cache", vars.cache.to_cel(&|f| needs.cache.wants(f)));
    }
    // Small structs of doubles and bools, which always serialise.
    if needs.fleet.any() {
        let added = ctx.add_variable("fleet", vars.fleet);
        debug_assert!(added.is_ok());
    }
    if needs.baseline.any() {
        let added = ctx.add_variable("baseline", vars.baseline);
        debug_assert!(added.is_ok());
    }
    if needs.scope.any() {
        ctx.add_variable_from_value("scope", Value::from(scope.to_string()));
    }
}

impl Evaluator {
    pub fn new(ec: &EvalContext<'_>, scope: &Scope) -> Self {
        let mut ctx = Context::with_env(ENV.clone());
        add_scope_vars(&mut ctx, ec, scope, &Needs::all());
        ctx.add_variable_from_value("now", Value::Timestamp(ec.now().fixed_offset()));
        functions::register(&mut ctx, &functions::Helpers::new(ec, scope));
        Self { ctx }
    }

    /// `at_start`: the scoped service (or cache) as it was when the walk began.
    pub fn set_at_start(&mut self, vars: &serde_json::Value) {
        let _ = self.ctx.add_variable("at_start", vars);
    }

    /// The scoped subject's variables now, as `at_start` will hold them.
    pub fn subject(ec: &EvalContext<'_>, scope: &Scope) -> serde_json::Value {
        let vars = vars_of(ec, scope);
        let value = match scope {
            Scope::Service(_) => serde_json::to_value(vars.service),
            Scope::Cache(_) => serde_json::to_value(vars.cache),
        };
        value.unwrap_or_default()
    }

    /// `proposed`: the parameters of the action being verified.
    pub fn set_proposed(&mut self, values: &serde_json::Map<String, serde_json::Value>) {
        let _ = self.ctx.add_variable("proposed", values);
    }

    pub fn eval(&self, expr: &Expr) -> Result<Value, String> {
        expr.program.execute(&self.ctx).map_err(|e| e.to_string())
    }

    pub fn eval_bool(&self, expr: &Expr) -> Result<bool, String> {
        as_bool(self.eval(expr)?)
    }

    /// For action parameters: CEL values become the JSON the catalogue builds from.
    pub fn eval_json(&self, expr: &Expr) -> Result<serde_json::Value, String> {
        to_json(&self.eval(expr)?)
    }

    /// Render a template, showing `<error>` in place of a failing expression.
    pub fn render(&self, template: &Template) -> String {
        template
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Expr(e) => self
                    .eval(e)
                    .map_or_else(|_| "<error>".into(), |v| display(&v)),
            })
            .collect()
    }
}

/// One expression evaluated for scope after scope (a trigger over the whole
/// fleet): the helpers and `now` are registered once, each scope adds only
/// the variables the expressions read, in a scope of its own.
pub struct FleetEvaluator {
    root: Context<'static, 'static>,
    helpers: Arc<functions::Helpers>,
    needs: Needs,
}

impl FleetEvaluator {
    /// `first` is any scope: the helpers answer for it until `scope` is called.
    pub fn new(ec: &EvalContext<'_>, first: &Scope, needs: Needs) -> Self {
        let mut root = Context::with_env(ENV.clone());
        root.add_variable_from_value("now", Value::Timestamp(ec.now().fixed_offset()));
        let helpers = functions::Helpers::new(ec, first);
        functions::register(&mut root, &helpers);
        Self {
            root,
            helpers,
            needs,
        }
    }

    /// The evaluator of `scope`. The helpers answer for one scope at a time,
    /// hence `&mut`: the previous scope's evaluator is gone.
    pub fn scope(&mut self, ec: &EvalContext<'_>, scope: &Scope) -> ScopeEvaluator<'_> {
        self.helpers.set(ec, scope);
        let mut ctx = self.root.new_inner_scope();
        add_scope_vars(&mut ctx, ec, scope, &self.needs);
        ScopeEvaluator { ctx }
    }
}

/// A `FleetEvaluator` set to one scope.
pub struct ScopeEvaluator<'a> {
    ctx: Context<'a, 'static>,
}

impl ScopeEvaluator<'_> {
    pub fn eval_bool(&self, expr: &Expr) -> Result<bool, String> {
        as_bool(expr.program.execute(&self.ctx).map_err(|e| e.to_string())?)
    }
}

fn as_bool(value: Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(b),
        other => Err(format!("must be true or false, got {}", type_name(&other))),
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Function(..) => "a function",
        Value::Int(_) => "an int",
        Value::UInt(_) => "a uint",
        Value::Float(_) => "a double",
        Value::String(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "a bool",
        Value::Duration(_) => "a duration",
        Value::Timestamp(_) => "a timestamp",
        Value::Null => "null",
        _ => "an object",
    }
}

/// A value as the operator reads it: doubles rounded to what matters.
pub fn display(v: &Value) -> String {
    match v {
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Value::Float(f) => format!("{f:.1}"),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::String(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Timestamp(t) => t.to_rfc3339(),
        Value::Duration(d) => format!("{}s", d.num_seconds()),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(display).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) => {
            let mut entries: Vec<String> = m
                .map
                .iter()
                .map(|(k, v)| format!("{}: {}", display(&Value::from(k.clone())), display(v)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
        other => format!("{other:?}"),
    }
}

fn to_json(v: &Value) -> Result<serde_json::Value, String> {
    Ok(match v {
        Value::Float(f) => json!(f),
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::String(s) => json!(s.as_str()),
        Value::Bool(b) => json!(b),
        Value::Null => serde_json::Value::Null,
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.map.iter() {
                let Value::String(key) = Value::from(k.clone()) else {
                    return Err("map keys must be strings".into());
                };
                out.insert(key.to_string(), to_json(v)?);
            }
            serde_json::Value::Object(out)
        }
        other => return Err(format!("cannot pass {} as a parameter", type_name(other))),
    })
}

/// Text with `{expression}` placeholders; `{{` and `}}` are literal braces.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
    /// Byte offset in the text of each placeholder's expression, in order.
    at: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text(String),
    Expr(Expr),
}

impl Template {
    /// Parse a template. Errors carry the byte offset of the placeholder.
    pub fn parse(text: &str) -> Result<Template, (usize, String)> {
        let mut parts = Vec::new();
        let mut at = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().is_some_and(|&(_, n)| n == '}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let end = rest
                        .find('}')
                        .ok_or_else(|| (i, "unclosed `{` in text".to_string()))?;
                    let src = &rest[..end];
                    let expr = Expr::compile(src)
                        .map_err(|e| (i + e.col, format!("expression `{src}`: {}", e.message)))?;
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Expr(expr));
                    at.push(i + 1);
                    for _ in 0..=src.chars().count() {
                        chars.next();
                    }
                }
                '}' => return Err((i, "unmatched `}` in text (write `}}`)".into())),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts, at })
    }

    /// Each placeholder's expression with its byte offset in the text.
    pub fn exprs_at(&self) -> impl Iterator<Item = (usize, &Expr)> {
        self.at.iter().copied().zip(self.exprs())
    }

    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e),
            Part::Text(_) => None,
        })
    }

    /// The text with placeholders shown as written, for diagrams.
    pub fn source(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Expr(e) => format!("{{{}}}", e.src),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::action::baseline::Drift;
    use crate::model::history::FleetHistory;
    use crate::model::{EventKind, FleetEvent, FleetSnapshot};
    use crate::runbook::cel::facts::OverrideFacts;
    use crate::runbook::sample;

    /// The scope's variables as CEL sees them are the structs, field for
    /// field, whether built whole (a walk) or field by field (the triggers).
    #[test]
    fn scope_variables_are_their_structs_whole_or_by_field() {
        use crate::runbook::model::ScopeKind;
        sample::with_context(|ec| {
            for kind in [ScopeKind::Service, ScopeKind::Cache] {
                let scope = sample::scope(kind);
                let name = match kind {
                    ScopeKind::Service => "service",
                    ScopeKind::Cache => "cache",
                };
                let whole = Expr::compile(name).unwrap();
                let got = Evaluator::new(ec, &scope).eval_json(&whole).unwrap();
                assert_eq!(got, Evaluator::subject(ec, &scope), "{name}");
            }
            // A trigger reading two fields gets those two, with their values.
            let scope = sample::scope(ScopeKind::Service);
            let expr = Expr::compile("service.cpu > 0.0 && service.name != ''").unwrap();
            let mut fleet = FleetEvaluator::new(ec, &scope, needs_of([&expr]));
            let eval = fleet.scope(ec, &scope);
            assert_eq!(eval.eval_bool(&expr), Ok(true));
            let size = Expr::compile("size(service)").unwrap();
            assert!(
                eval.eval_bool(&size).is_err(),
                "size(service) is not a bool"
            );
            let two = Expr::compile("size(service) == 2").unwrap();
            assert_eq!(eval.eval_bool(&two), Ok(true));
        });
    }

    fn eval_with(
        snap: &FleetSnapshot,
        history: &FleetHistory,
        facts: &OverrideFacts,
        src: &str,
    ) -> Result<Value, String> {
        let ec = EvalContext::new(snap, history, facts);
        let expr = Expr::compile(src).map_err(|e| e.message)?;
        Evaluator::new(&ec, &Scope::Service(sample::service_key())).eval(&expr)
    }

    fn eval(snap: &FleetSnapshot, src: &str) -> Result<Value, String> {
        let mut history = FleetHistory::default();
        history.record(snap);
        eval_with(snap, &history, &sample::facts(), src)
    }

    /// A history of `minutes` of 10-second samples ending at the snapshot's time.
    fn history_of(
        snap: &FleetSnapshot,
        minutes: i64,
        cpu: impl Fn(i64) -> f64,
    ) -> (FleetSnapshot, FleetHistory) {
        let mut history = FleetHistory::default();
        let mut s = snap.clone();
        let end = snap.taken_at;
        for i in (0..=minutes * 6).rev() {
            s.taken_at = end - Duration::seconds(i * 10);
            s.services[0].metrics.cpu_pct = Some(cpu(i));
            history.record(&s);
        }
        (s, history)
    }

    #[test]
    fn parse_error_position_is_one_based_inside_the_expression() {
        let e = Expr::compile("service.cpu > > 85.0").unwrap_err();
        assert_eq!((e.line, e.col), (1, 15), "{e:?}");
        assert_eq!(e.message, "Syntax error: extraneous input '>'");
        let e = Expr::compile("a &&\n  > b").unwrap_err();
        assert_eq!((e.line, e.col), (2, 3), "{e:?}");
    }

    #[test]
    fn limits_keep_expressions_within_the_stack() {
        let deep = format!("{}true{}", "(".repeat(9), ")".repeat(9));
        let e = Expr::compile(&deep).unwrap_err();
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (1, 9, "nested deeper than 8 brackets")
        );
        let long = vec!["1.0"; 18].join(" + ");
        assert!(
            Expr::compile(&long)
                .unwrap_err()
                .message
                .starts_with("more than 16 operators")
        );
        assert!(Expr::compile(&"a".repeat(1001)).is_err());
        // Brackets and operators inside strings do not count.
        assert!(Expr::compile("'((((((((((+++++++++++++++++++))))))))))' == ''").is_ok());

        // The worst an accepted expression can be evaluates on a 1 MiB stack.
        let worst = format!(
            "{}{}{}",
            "max(".repeat(7),
            vec!["1.0"; 16].join(" + "),
            ")".repeat(7)
        );
        let expr = Expr::compile(&worst).unwrap();
        let ok = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                sample::with_context(|ec| {
                    let eval = Evaluator::new(ec, &Scope::Service(sample::service_key()));
                    eval.eval(&expr) == Ok(Value::Float(16.0))
                })
            })
            .unwrap()
            .join();
        assert_eq!(ok.ok(), Some(true));
    }

    #[test]
    fn numbers_are_doubles_and_missing_metrics_are_minus_one() {
        let mut snap = sample::snapshot();
        assert_eq!(eval(&snap, "0.9 * service.max"), Ok(Value::Float(45.0)));
        assert_eq!(
            eval(&snap, "service.spot_share"),
            Ok(Value::Float(100.0 * 33.0 / 45.0))
        );
        assert_eq!(
            eval(&snap, "service.configured_spot_share"),
            Ok(Value::Float(75.0))
        );
        snap.services[0].metrics.cpu_pct = None;
        assert_eq!(eval(&snap, "service.cpu"), Ok(Value::Float(-1.0)));
        assert_eq!(eval(&snap, "service.has_cpu"), Ok(Value::Bool(false)));
        assert_eq!(
            eval(&snap, "max(120.0, service.running)"),
            Ok(Value::Float(120.0))
        );
    }

    #[test]
    fn missing_tag_short_circuits_instead_of_failing() {
        let mut snap = sample::snapshot();
        snap.services[0].tags.clear();
        assert_eq!(
            eval(
                &snap,
                "'next-event' in service.tags && timestamp(service.tags['next-event']) > now"
            ),
            Ok(Value::Bool(false))
        );
        assert!(eval(&snap, "service.tags['next-event'] == ''").is_err());
    }

    #[test]
    fn sustained_needs_the_whole_window() {
        let snap = sample::snapshot();
        let facts = sample::facts();
        let (s, h) = history_of(&snap, 20, |_| 90.0);
        assert_eq!(
            eval_with(&s, &h, &facts, "sustained_above('cpu', 85.0, 15.0)"),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            eval_with(&s, &h, &facts, "sustained_below('cpu', 85.0, 15.0)"),
            Ok(Value::Bool(false))
        );
        // One dip inside the window breaks it.
        let (s, h) = history_of(&snap, 20, |i| if i == 30 { 80.0 } else { 90.0 });
        assert_eq!(
            eval_with(&s, &h, &facts, "sustained_above('cpu', 85.0, 15.0)"),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            eval_with(&s, &h, &facts, "sustained_above('cpu', 85.0, 2.0)"),
            Ok(Value::Bool(true))
        );
        // Five minutes of data cannot prove fifteen.
        let (s, h) = history_of(&snap, 5, |_| 90.0);
        assert_eq!(
            eval_with(&s, &h, &facts, "sustained_above('cpu', 85.0, 15.0)"),
            Ok(Value::Bool(false))
        );
        let err = eval_with(&s, &h, &facts, "sustained_above('cpux', 85.0, 15.0)").unwrap_err();
        assert!(err.contains("unknown metric `cpux`"), "{err}");
    }

    /// Seed 001 scenario 1: 45 tasks, CPU pinned at 95 %, traffic climbing.
    /// Ten minutes ago 45 tasks served 9,000 requests/min at 50 % CPU: 4 per
    /// task per CPU %, so 280 per task at the 70 % target. Requests rose from
    /// 12,800 to 18,000 in 5 minutes; 15 minutes ahead that is 33,600/min,
    /// or 120 tasks: the seed's figure, read from the data.
    #[test]
    fn needed_tasks_reads_the_load_past_saturated_cpu() {
        let snap = sample::snapshot();
        let mut history = FleetHistory::default();
        let mut s = snap.clone();
        for (minutes_ago, cpu, rpm) in [
            (10, 50.0, 9_000.0),
            (5, 95.0, 12_800.0),
            (0, 95.0, 18_000.0),
        ] {
            s.taken_at = snap.taken_at - Duration::minutes(minutes_ago);
            s.services[0].metrics.cpu_pct = Some(cpu);
            s.services[0].metrics.requests_per_min = Some(rpm);
            history.record(&s);
        }
        let facts = sample::facts();
        let need = |src: &str| eval_with(&s, &history, &facts, src);
        assert_eq!(need("needed_tasks(70.0, 15.0)"), Ok(Value::Float(120.0)));
        // Now, without the trend: 18,000 / 280.
        assert_eq!(need("needed_tasks(70.0, 0.0)"), Ok(Value::Float(65.0)));
        // CPU alone says 45 x 95 / 70: a floor, since CPU stops at 100 %.
        assert_eq!(need("ceil(45.0 * 95.0 / 70.0)"), Ok(Value::Float(62.0)));
        // Unsaturated, CPU tells the load: the plain formula.
        assert_eq!(
            eval(&sample::snapshot(), "needed_tasks(70.0, 15.0)"),
            Ok(Value::Float(39.0)),
            "ceil(45 x 60 / 70)"
        );
        assert!(
            need("needed_tasks(0.0, 5.0)")
                .unwrap_err()
                .contains("target must be")
        );
    }

    #[test]
    fn average_needs_the_whole_window() {
        let snap = sample::snapshot();
        let facts = sample::facts();
        // 60 % and 80 % a minute each.
        let (s, h) = history_of(&snap, 20, |i| if i / 6 % 2 == 0 { 60.0 } else { 80.0 });
        let Ok(Value::Float(avg)) = eval_with(&s, &h, &facts, "average('cpu', 10.0)") else {
            panic!("not a double");
        };
        assert!((avg - 70.0).abs() < 0.5, "{avg}");
        let (s, h) = history_of(&snap, 5, |_| 60.0);
        assert_eq!(
            eval_with(&s, &h, &facts, "average('cpu', 10.0)"),
            Ok(Value::Float(-1.0)),
            "five minutes cannot average ten"
        );
    }

    fn push(
        snap: &mut FleetSnapshot,
        minutes_ago: i64,
        kind: EventKind,
        service: &crate::model::ServiceKey,
    ) {
        snap.events.push(FleetEvent {
            at: snap.taken_at - Duration::minutes(minutes_ago),
            kind,
            service: Some(service.clone()),
            message: String::new(),
            stop: None,
        });
    }

    #[test]
    fn event_helpers_count_the_scoped_service_in_the_window() {
        let mut snap = sample::snapshot();
        let key = sample::service_key();
        let other = crate::model::ServiceKey::new("sample", "other");
        push(&mut snap, 1, EventKind::SpotInterruption, &key);
        push(&mut snap, 4, EventKind::SpotInterruption, &key);
        push(&mut snap, 30, EventKind::SpotInterruption, &key);
        push(&mut snap, 2, EventKind::SpotInterruption, &other);
        push(&mut snap, 3, EventKind::TaskFailed, &key);
        push(&mut snap, 3, EventKind::ScalingActivity, &other);
        assert_eq!(eval(&snap, "interruptions(10.0)"), Ok(Value::Float(2.0)));
        assert_eq!(
            eval(&snap, "interrupted_share(10.0)"),
            Ok(Value::Float(200.0 / 45.0))
        );
        assert_eq!(
            eval(&snap, "services_interrupted(10.0)"),
            Ok(Value::Float(2.0))
        );
        assert_eq!(eval(&snap, "failed_tasks(10.0)"), Ok(Value::Float(1.0)));
        assert_eq!(eval(&snap, "failed_tasks(2.0)"), Ok(Value::Float(0.0)));
        assert_eq!(
            eval(&snap, "scaling_active(5.0)"),
            Ok(Value::Bool(false)),
            "another service scaled"
        );
        push(&mut snap, 1, EventKind::ScalingActivity, &key);
        assert_eq!(eval(&snap, "scaling_active(5.0)"), Ok(Value::Bool(true)));
    }

    #[test]
    fn scaling_active_sees_desired_rising() {
        let snap = sample::snapshot();
        let mut history = FleetHistory::default();
        let mut s = snap.clone();
        for (i, desired) in [20, 20, 24, 30].into_iter().enumerate() {
            s.taken_at = snap.taken_at + Duration::minutes(i as i64);
            s.services[0].desired = desired;
            history.record(&s);
        }
        let facts = sample::facts();
        assert_eq!(
            eval_with(&s, &history, &facts, "scaling_active(5.0)"),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            eval_with(&s, &history, &facts, "scaling_active(0.5)"),
            Ok(Value::Bool(false))
        );
    }

    #[test]
    fn override_facts_are_per_scoped_service() {
        let snap = sample::snapshot();
        let history = FleetHistory::default();
        let mut facts = sample::facts();
        facts.drift.push(Drift {
            service: crate::model::ServiceKey::new("sample", "other"),
            field: "bounds",
            message: "min 100 vs baseline 10".into(),
            fix: None,
        });
        assert_eq!(
            eval_with(&snap, &history, &facts, "drift_from_baseline()"),
            Ok(Value::Float(0.0))
        );
        facts.drift.push(Drift {
            service: sample::service_key(),
            field: "bounds",
            message: "min 100 vs baseline 10".into(),
            fix: None,
        });
        assert_eq!(
            eval_with(&snap, &history, &facts, "drift_from_baseline()"),
            Ok(Value::Float(1.0))
        );
        assert_eq!(
            eval_with(&snap, &history, &facts, "baseline.min"),
            Ok(Value::Float(10.0))
        );
        assert_eq!(
            eval_with(&snap, &history, &OverrideFacts::default(), "baseline.known"),
            Ok(Value::Bool(false))
        );
    }

    #[test]
    fn event_schedule_renders_aws_at_expressions() {
        let mut snap = sample::snapshot();
        assert_eq!(
            eval(&snap, "event_schedule(-30.0)"),
            Ok(Value::from("at(2026-03-20T09:30:00)"))
        );
        snap.services[0].tags.clear();
        let err = eval(&snap, "event_schedule(-30.0)").unwrap_err();
        assert!(err.contains("no `next-event` tag"), "{err}");
    }

    #[test]
    fn templates_render_values_and_literal_braces() {
        let snap = sample::snapshot();
        let history = FleetHistory::default();
        let facts = sample::facts();
        let ec = EvalContext::new(&snap, &history, &facts);
        let eval = Evaluator::new(&ec, &Scope::Service(sample::service_key()));
        let t = Template::parse("CPU {service.cpu}% of {{max}} {service.max}").unwrap();
        assert_eq!(eval.render(&t), "CPU 60% of {max} 50");
        assert_eq!(t.source(), "CPU {service.cpu}% of {max} {service.max}");
        let t = Template::parse("p95 {service.p95_ms / 3.0} ms, {service.nope}").unwrap();
        assert_eq!(eval.render(&t), "p95 500 ms, <error>");
        assert_eq!(
            Template::parse("open {service.cpu").unwrap_err().1,
            "unclosed `{` in text"
        );
        assert!(Template::parse("x }").is_err());
        let (at, msg) = Template::parse("a {service.cpu >} b").unwrap_err();
        assert_eq!(at, 16, "just after `>`, where the operand is missing");
        assert!(msg.starts_with("expression `service.cpu >`"), "{msg}");
    }
}
