//! Static type checking of runbook expressions against the declared variables
//! (`schema`) and helpers (`functions::HELPERS`). Every operand is checked,
//! those behind `&&`, `||` and `?:` included, which one evaluation on a sample
//! fleet cannot do. It also checks string literals against the known values of
//! enum-like fields, metric names, and lookbacks against the history ring.
//! Errors carry the byte offset of the offending part of the expression.

use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr as Ast, LiteralValue, SourceInfo};

use super::functions::{Arg, CACHE_METRICS, HELPERS, LOOKBACK_S, Returns, SERVICE_METRICS, helper};
use super::schema::{Ty, VARIABLES, variable};
use crate::model::evidence::{LOG_MATCH_MAX_MIN, LogQuery};
use crate::runbook::model::ScopeKind;

/// A problem in an expression: where it starts (byte offset) and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeError {
    pub offset: usize,
    pub message: String,
}

/// What the expression must produce.
#[derive(Clone, Debug, PartialEq)]
pub enum Want {
    Bool,
    Any,
    /// An action parameter of this type.
    Param(Ty),
}

/// What an expression may name besides the variables: the runbook's scope
/// (for metric names) and, in a verify, the applied parameters.
#[derive(Clone, Debug)]
pub struct CheckEnv {
    pub scope: ScopeKind,
    pub proposed: Option<Vec<(String, Ty)>>,
    /// In a node (a walk has begun): `at_start` exists.
    pub walk: bool,
    /// The runbook's `[[metric]]` names: `metric()` reads them, and the
    /// history helpers take them beside the scope's own metrics.
    pub declared: Vec<String>,
}

/// Standard CEL functions the checker knows (besides operators and macros).
const STANDARD: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "timestamp",
    "duration",
    "string",
    "double",
    "int",
    "uint",
    "dyn",
    "has",
    "exists",
    "all",
    "exists_one",
    "map",
    "filter",
];

/// Parse and check `src`. A parse error is not reported here (compiling does).
pub fn check(src: &str, want: &Want, env: &CheckEnv) -> Vec<TypeError> {
    checked(src, want, env).0
}

/// `check`, and the `log_matches` queries the expression makes (a walk's
/// reader counts them before evaluating).
pub fn checked(src: &str, want: &Want, env: &CheckEnv) -> (Vec<TypeError>, Vec<LogQuery>) {
    let Ok((ast, info)) = super::expr::parser().parse_with_source_info(src) else {
        return (Vec::new(), Vec::new());
    };
    let mut c = Checker {
        info,
        env,
        errors: Vec::new(),
        bindings: Vec::new(),
        queries: Vec::new(),
    };
    let ty = c.ty(&ast);
    if c.errors.is_empty() {
        c.want(&ast, &ty, want);
    }
    (c.errors, c.queries)
}

/// The candidate closest to `name` by edit distance, if close enough to be a
/// typo; failing that, one that `name` starts with or that starts with `name`
/// (`cpu_pct` -> `cpu`).
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    let candidates: Vec<&str> = candidates.into_iter().filter(|c| *c != name).collect();
    let close = candidates
        .iter()
        .map(|c| (distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    close.or_else(|| {
        candidates
            .iter()
            .filter(|c| c.len() >= 3 && name.len() >= 3)
            .filter(|c| name.starts_with(**c) || c.starts_with(name))
            .min_by_key(|c| c.len().abs_diff(name.len()))
            .copied()
    })
}

/// " (did you mean `x`?)" or nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, candidates).map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"))
}

fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

struct Checker<'e> {
    info: SourceInfo,
    env: &'e CheckEnv,
    errors: Vec<TypeError>,
    /// Comprehension variables in scope, innermost last.
    bindings: Vec<(String, Ty)>,
    /// `log_matches` calls seen, with literal arguments.
    queries: Vec<LogQuery>,
}

fn literal(e: &IdedExpr) -> Option<&LiteralValue> {
    match &e.expr {
        Ast::Literal(l) => Some(l),
        _ => None,
    }
}

fn literal_str(e: &IdedExpr) -> Option<&str> {
    match literal(e) {
        Some(LiteralValue::String(s)) => Some(s.inner()),
        _ => None,
    }
}

fn literal_number(e: &IdedExpr) -> Option<f64> {
    match literal(e) {
        Some(LiteralValue::Double(d)) => Some(*d.inner()),
        Some(LiteralValue::Int(i)) => Some(*i.inner() as f64),
        Some(LiteralValue::UInt(u)) => Some(*u.inner() as f64),
        _ => None,
    }
}

/// `service.p95_ms` as written, for messages.
fn path(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Ast::Ident(n) => Some(n.clone()),
        Ast::Select(s) if !s.test => Some(format!("{}.{}", path(&s.operand)?, s.field)),
        _ => None,
    }
}

fn operator(name: &str) -> &str {
    match name {
        "_&&_" => "&&",
        "_||_" => "||",
        "_+_" => "+",
        "_-_" => "-",
        "_*_" => "*",
        "_/_" => "/",
        "_%_" => "%",
        "_<_" => "<",
        "_<=_" => "<=",
        "_>_" => ">",
        "_>=_" => ">=",
        "_==_" => "==",
        "_!=_" => "!=",
        other => other,
    }
}

/// A type as a noun: "a double", "an int".
fn a(t: &Ty) -> String {
    let s = t.to_string();
    let article = if s.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {s}")
}

/// One type for both: equal, or one of them unknown until run time.
fn unify(x: &Ty, y: &Ty) -> Option<Ty> {
    match (x, y) {
        (a, b) if a == b => Some(a.clone()),
        (Ty::Dyn, o) | (o, Ty::Dyn) | (Ty::Null, o) | (o, Ty::Null) => Some(o.clone()),
        (a, b) if a.is_string() && b.is_string() => Some(Ty::String),
        (Ty::List(a), Ty::List(b)) => Some(Ty::list(unify(a, b).unwrap_or(Ty::Dyn))),
        (Ty::Map(k1, v1), Ty::Map(k2, v2)) => Some(Ty::map(
            unify(k1, k2).unwrap_or(Ty::Dyn),
            unify(v1, v2).unwrap_or(Ty::Dyn),
        )),
        _ => None,
    }
}

/// " (numbers are doubles: write 5.0, not 5)" when an int literal is to blame.
fn int_hint(args: &[&IdedExpr], tys: &[&Ty]) -> String {
    for (e, t) in args.iter().zip(tys) {
        if **t == Ty::Int {
            return match literal(e) {
                Some(LiteralValue::Int(i)) => {
                    format!(
                        ": numbers are doubles: write {}.0, not {}",
                        i.inner(),
                        i.inner()
                    )
                }
                _ => ": numbers are doubles: convert with double(...)".into(),
            };
        }
    }
    String::new()
}

impl Checker<'_> {
    fn start(&self, e: &IdedExpr) -> usize {
        let own = self
            .info
            .offset_for(e.id)
            .map_or(usize::MAX, |(s, _)| s as usize);
        let child = match &e.expr {
            Ast::Select(s) => self.start(&s.operand),
            Ast::Call(c) => c
                .target
                .iter()
                .map(|t| self.start(t))
                .chain(c.args.iter().map(|a| self.start(a)))
                .min()
                .unwrap_or(usize::MAX),
            Ast::Comprehension(c) => self.start(&c.iter_range),
            Ast::List(l) => l
                .elements
                .iter()
                .map(|x| self.start(x))
                .min()
                .unwrap_or(usize::MAX),
            _ => usize::MAX,
        };
        let s = own.min(child);
        if s == usize::MAX { 0 } else { s }
    }

    fn error(&mut self, at: &IdedExpr, message: String) -> Ty {
        let offset = self.start(at);
        self.errors.push(TypeError { offset, message });
        Ty::Dyn
    }

    fn want(&mut self, e: &IdedExpr, ty: &Ty, want: &Want) {
        match want {
            Want::Any => {}
            Want::Bool => {
                if !matches!(ty, Ty::Bool | Ty::Dyn) {
                    self.error(e, format!("must be true or false, got {}", a(ty)));
                }
            }
            Want::Param(p) => {
                let fits = match p {
                    Ty::Double => matches!(ty, Ty::Double | Ty::Int | Ty::UInt | Ty::Dyn),
                    Ty::String => ty.is_string() || *ty == Ty::Dyn,
                    Ty::List(_) => matches!(ty, Ty::List(_) | Ty::Dyn),
                    _ => true,
                };
                if !fits {
                    self.error(e, format!("must be {}, got {}", a(p), a(ty)));
                }
            }
        }
    }

    fn ty(&mut self, e: &IdedExpr) -> Ty {
        match &e.expr {
            Ast::Literal(l) => match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::UInt(_) => Ty::UInt,
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
            },
            Ast::Ident(name) => self.ident(e, name),
            Ast::Select(s) => {
                let operand = self.ty(&s.operand);
                let found = self.field(e, &s.operand, &operand, &s.field);
                if s.test { Ty::Bool } else { found }
            }
            Ast::Call(c) => {
                let target = c.target.as_deref();
                let args: Vec<&IdedExpr> = c.args.iter().collect();
                self.call(e, &c.func_name, target, &args)
            }
            Ast::List(l) => {
                let mut elem: Option<Ty> = None;
                for x in &l.elements {
                    let t = self.ty(x);
                    elem = Some(match elem {
                        None => t,
                        Some(prev) => unify(&prev, &t).unwrap_or(Ty::Dyn),
                    });
                }
                Ty::list(elem.unwrap_or(Ty::Dyn))
            }
            Ast::Map(m) => {
                let (mut k, mut v): (Option<Ty>, Option<Ty>) = (None, None);
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        let kt = self.ty(&me.key);
                        let vt = self.ty(&me.value);
                        k = Some(k.map_or(kt.clone(), |p| unify(&p, &kt).unwrap_or(Ty::Dyn)));
                        v = Some(v.map_or(vt.clone(), |p| unify(&p, &vt).unwrap_or(Ty::Dyn)));
                    }
                }
                Ty::map(k.unwrap_or(Ty::Dyn), v.unwrap_or(Ty::Dyn))
            }
            Ast::Comprehension(c) => {
                let range = self.ty(&c.iter_range);
                let elem = match &range {
                    Ty::List(t) => (**t).clone(),
                    Ty::Map(k, _) => (**k).clone(),
                    Ty::Dyn => Ty::Dyn,
                    other => {
                        let other = other.clone();
                        self.error(&c.iter_range, format!("cannot iterate over {}", a(&other)))
                    }
                };
                let accu = self.ty(&c.accu_init);
                let depth = self.bindings.len();
                self.bindings.push((c.accu_var.clone(), accu));
                self.bindings.push((c.iter_var.clone(), elem));
                if let Some(v2) = &c.iter_var2 {
                    self.bindings.push((v2.clone(), Ty::Dyn));
                }
                self.ty(&c.loop_cond);
                self.ty(&c.loop_step);
                let result = self.ty(&c.result);
                self.bindings.truncate(depth);
                result
            }
            Ast::Struct(_) | Ast::Unspecified => Ty::Dyn,
        }
    }

    fn ident(&mut self, e: &IdedExpr, name: &str) -> Ty {
        if let Some((_, t)) = self.bindings.iter().rev().find(|(n, _)| n == name) {
            return t.clone();
        }
        if let Some(v) = variable(name) {
            return v.ty.clone();
        }
        if name == "at_start" && self.env.walk {
            return match self.env.scope {
                ScopeKind::Service => Ty::Object(&super::schema::SERVICE),
                ScopeKind::Cache => Ty::Object(&super::schema::CACHE),
            };
        }
        if name == "proposed"
            && let Some(fields) = &self.env.proposed
        {
            return Ty::map(Ty::String, {
                let mut all = fields.iter().map(|(_, t)| t.clone());
                let first = all.next().unwrap_or(Ty::Dyn);
                all.fold(first, |acc, t| unify(&acc, &t).unwrap_or(Ty::Dyn))
            });
        }
        let mut names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        names.extend(self.bindings.iter().map(|(n, _)| n.as_str()));
        let hint = if name == "proposed" {
            " (`proposed` exists only in an action's `verify`)".to_string()
        } else if name == "at_start" {
            " (`at_start` exists only in nodes: a trigger runs before any walk)".to_string()
        } else {
            did_you_mean(name, names)
        };
        self.error(
            e,
            format!("Undeclared reference to '{name}': no variable `{name}`{hint}"),
        )
    }

    fn field(&mut self, e: &IdedExpr, operand: &IdedExpr, ty: &Ty, field: &str) -> Ty {
        match ty {
            Ty::Object(o) => match o.field(field) {
                Some(f) => f.ty.clone(),
                None => {
                    let owner = path(operand).unwrap_or_else(|| o.name.to_string());
                    let hint = did_you_mean(field, o.fields.iter().map(|f| f.name));
                    self.error(
                        e,
                        format!("No such key: {field}: `{owner}` has no field `{field}`{hint}"),
                    )
                }
            },
            Ty::Map(_, v) => {
                if let (Some("proposed"), Some(fields)) =
                    (path(operand).as_deref(), &self.env.proposed)
                {
                    return match fields.iter().find(|(n, _)| n == field) {
                        Some((_, t)) => t.clone(),
                        None => {
                            let hint = did_you_mean(field, fields.iter().map(|(n, _)| n.as_str()));
                            self.error(
                                e,
                                format!("No such key: {field}: the action has no parameter `{field}`{hint}"),
                            )
                        }
                    };
                }
                (**v).clone()
            }
            Ty::Dyn => Ty::Dyn,
            other => {
                let other = other.clone();
                self.error(e, format!("`.{field}` cannot be read from {}", a(&other)))
            }
        }
    }

    fn call(
        &mut self,
        e: &IdedExpr,
        name: &str,
        target: Option<&IdedExpr>,
        args: &[&IdedExpr],
    ) -> Ty {
        let tys: Vec<Ty> = target
            .iter()
            .chain(args.iter())
            .map(|x| self.ty(x))
            .collect();
        let all: Vec<&IdedExpr> = target.into_iter().chain(args.iter().copied()).collect();
        let t = |i: usize| tys.get(i).cloned().unwrap_or(Ty::Dyn);
        match name {
            "_&&_" | "_||_" => {
                for (x, ty) in all.iter().zip(&tys) {
                    if !matches!(ty, Ty::Bool | Ty::Dyn) {
                        self.error(
                            x,
                            format!(
                                "`{}` needs true or false on both sides, got {}",
                                operator(name),
                                a(ty)
                            ),
                        );
                    }
                }
                Ty::Bool
            }
            "!_" | "@not_strictly_false" => {
                if !matches!(t(0), Ty::Bool | Ty::Dyn) {
                    self.error(all[0], format!("`!` needs true or false, got {}", a(&t(0))));
                }
                Ty::Bool
            }
            "_?_:_" => {
                if !matches!(t(0), Ty::Bool | Ty::Dyn) {
                    self.error(
                        all[0],
                        format!(
                            "the condition of `?:` must be true or false, got {}",
                            a(&t(0))
                        ),
                    );
                }
                match unify(&t(1), &t(2)) {
                    Some(u) => u,
                    None => {
                        let hint = int_hint(&all[1..], &[&t(1), &t(2)]);
                        self.error(
                            e,
                            format!(
                                "the branches of `?:` differ: {} and {}{hint}",
                                a(&t(1)),
                                a(&t(2))
                            ),
                        )
                    }
                }
            }
            "-_" => match t(0) {
                x if x.is_number() || matches!(x, Ty::Duration | Ty::Dyn) => x,
                x => self.error(e, format!("cannot negate {}", a(&x))),
            },
            "_+_" | "_-_" | "_*_" | "_/_" | "_%_" => self.arithmetic(e, name, &all, &t(0), &t(1)),
            "_<_" | "_<=_" | "_>_" | "_>=_" => {
                let (x, y) = (t(0), t(1));
                let ok = (x.is_number() && y.is_number())
                    || unify(&x, &y).is_some_and(|u| {
                        u.is_string()
                            || matches!(u, Ty::Timestamp | Ty::Duration | Ty::Bool | Ty::Dyn)
                            || u.is_number()
                    });
                if !ok {
                    self.error(
                        e,
                        format!(
                            "`{}` cannot compare {} with {}",
                            operator(name),
                            a(&x),
                            a(&y)
                        ),
                    );
                }
                Ty::Bool
            }
            "_==_" | "_!=_" => {
                let (x, y) = (t(0), t(1));
                if !(x.is_number() && y.is_number()) && unify(&x, &y).is_none() {
                    self.error(
                        e,
                        format!(
                            "`{}` compares {} with {}: they are never equal",
                            operator(name),
                            a(&x),
                            a(&y)
                        ),
                    );
                } else {
                    self.known_value(all[0], &x, all[1]);
                    self.known_value(all[1], &y, all[0]);
                }
                Ty::Bool
            }
            "@in" => {
                let (x, coll) = (t(0), t(1));
                match &coll {
                    Ty::List(elem) => {
                        if unify(&x, elem).is_none() && !(x.is_number() && elem.is_number()) {
                            self.error(e, format!("`in` looks for {} in a list of {elem}s", a(&x)));
                        } else if let Ast::List(l) = &all[1].expr {
                            for item in &l.elements {
                                self.known_value(all[0], &x, item);
                            }
                        }
                    }
                    Ty::Map(k, _) => {
                        if unify(&x, k).is_none() {
                            self.error(e, format!("`in` looks for {} among {k} keys", a(&x)));
                        }
                    }
                    Ty::Dyn => {}
                    other => {
                        let other = other.clone();
                        self.error(
                            all[1],
                            format!("`in` needs a list or a map, got {}", a(&other)),
                        );
                    }
                }
                Ty::Bool
            }
            "_[_]" => match (t(0), t(1)) {
                (Ty::List(elem), i) => {
                    if !matches!(i, Ty::Int | Ty::UInt | Ty::Dyn) {
                        self.error(
                            all[1],
                            format!("a list index must be an int, got {}", a(&i)),
                        );
                    }
                    *elem
                }
                (Ty::Map(_, v), _) => *v,
                (Ty::Dyn, _) => Ty::Dyn,
                (other, _) => self.error(all[0], format!("cannot index {}", a(&other))),
            },
            _ => self.function(e, name, target.is_some(), &all, &tys),
        }
    }

    fn arithmetic(&mut self, e: &IdedExpr, name: &str, all: &[&IdedExpr], x: &Ty, y: &Ty) -> Ty {
        use Ty::*;
        let out = match (name, x, y) {
            (_, Dyn, o) | (_, o, Dyn) => Some(o.clone()),
            (_, Double, Double) => Some(Double),
            (_, Int, Int) => Some(Int),
            (_, UInt, UInt) => Some(UInt),
            ("_+_", a, b) if a.is_string() && b.is_string() => Some(String),
            ("_+_", List(p), List(q)) => Some(Ty::list(unify(p, q).unwrap_or(Dyn))),
            ("_+_", Timestamp, Duration) | ("_+_", Duration, Timestamp) => Some(Timestamp),
            ("_-_", Timestamp, Timestamp) => Some(Duration),
            ("_-_", Timestamp, Duration) => Some(Timestamp),
            ("_+_" | "_-_", Duration, Duration) => Some(Duration),
            _ => None,
        };
        match out {
            Some(t) => t,
            None => {
                let hint = int_hint(all, &[x, y]);
                self.error(
                    e,
                    format!(
                        "`{}` cannot combine {} and {}{hint}",
                        operator(name),
                        a(x),
                        a(y)
                    ),
                )
            }
        }
    }

    /// A string literal compared with an enum-like value must be one of its values.
    fn known_value(&mut self, _side: &IdedExpr, ty: &Ty, other: &IdedExpr) {
        let (Some(values), Some(lit)) = (ty.values(), literal_str(other)) else {
            return;
        };
        if values.values.contains(&lit) {
            return;
        }
        let list: Vec<String> = values.values.iter().map(|v| format!("'{v}'")).collect();
        let hint = did_you_mean(lit, values.values.iter().copied());
        self.error(
            other,
            format!(
                "`{}` is never '{lit}' (its values: {}){hint}",
                values.of,
                list.join(", ")
            ),
        );
    }

    /// A `log_matches` call: in a walk only, over a whole number of minutes
    /// the reader counts; recorded for it.
    fn log_query(&mut self, e: &IdedExpr, all: &[&IdedExpr]) {
        if !self.env.walk {
            self.error(
                e,
                "`log_matches` reads logs a walk's reader counts: \
                 use it in a node, not in a trigger"
                    .into(),
            );
            return;
        }
        let (Some(pattern), Some(minutes)) = (all.first().and_then(|x| literal_str(x)), all.get(1))
        else {
            return;
        };
        let max = f64::from(LOG_MATCH_MAX_MIN);
        match literal_number(minutes) {
            Some(m) if m >= 1.0 && m <= max && m.fract() == 0.0 => {
                let query = LogQuery {
                    pattern: pattern.to_string(),
                    minutes: m as u32,
                };
                if !self.queries.contains(&query) {
                    self.queries.push(query);
                }
            }
            Some(m) => {
                self.error(
                    minutes,
                    format!(
                        "`log_matches` counts over {m} min, but the reader counts whole \
                         minutes from 1 to {LOG_MATCH_MAX_MIN}"
                    ),
                );
            }
            None => {
                self.error(
                    minutes,
                    "`log_matches` takes `minutes` as a number literal: \
                     the lines are counted before the expression runs"
                        .into(),
                );
            }
        }
    }

    fn function(
        &mut self,
        e: &IdedExpr,
        name: &str,
        member: bool,
        all: &[&IdedExpr],
        tys: &[Ty],
    ) -> Ty {
        let t = |i: usize| tys.get(i).cloned().unwrap_or(Ty::Dyn);
        match (name, member) {
            ("size", _) => {
                if !matches!(
                    t(0),
                    Ty::String | Ty::Enum(_) | Ty::List(_) | Ty::Map(..) | Ty::Bytes | Ty::Dyn
                ) {
                    self.error(
                        e,
                        format!("`size` needs a string, list or map, got {}", a(&t(0))),
                    );
                }
                return Ty::Int;
            }
            ("contains" | "startsWith" | "endsWith" | "matches", true) => {
                for (i, x) in all.iter().enumerate().take(2) {
                    if !(t(i).is_string() || t(i) == Ty::Dyn) {
                        self.error(x, format!("`{name}` works on strings, got {}", a(&t(i))));
                    }
                }
                return Ty::Bool;
            }
            ("timestamp", false) => {
                if let Some(s) = all.first().and_then(|x| literal_str(x))
                    && chrono::DateTime::parse_from_rfc3339(s).is_err()
                {
                    self.error(all[0], format!("'{s}' is not an RFC 3339 time"));
                }
                return Ty::Timestamp;
            }
            ("duration", false) => return Ty::Duration,
            ("string", false) => return Ty::String,
            ("double", false) => return Ty::Double,
            ("int", false) => return Ty::Int,
            ("uint", false) => return Ty::UInt,
            ("dyn", false) => return Ty::Dyn,
            _ => {}
        }
        let Some(h) = helper(name).filter(|_| !member) else {
            let known = HELPERS
                .iter()
                .map(|h| h.name)
                .chain(STANDARD.iter().copied());
            let hint = did_you_mean(name, known);
            return self.error(
                e,
                format!("Undeclared reference to '{name}': no function `{name}`{hint}"),
            );
        };
        let variadic = h.args.iter().any(|(_, a)| *a == Arg::Doubles);
        if (variadic && all.is_empty()) || (!variadic && all.len() != h.args.len()) {
            return self.error(
                e,
                format!(
                    "`{name}` takes {} argument(s), got {}: {}",
                    h.args.len(),
                    all.len(),
                    h.signature()
                ),
            );
        }
        for (i, x) in all.iter().enumerate() {
            let (pname, arg) = h.args[i.min(h.args.len() - 1)];
            let ty = t(i);
            match arg {
                Arg::Double | Arg::Doubles => {
                    if ty == Ty::Int || ty == Ty::UInt {
                        let hint = int_hint(&[x], &[&ty]);
                        self.error(
                            x,
                            format!("`{name}` takes `{pname}` as a double, got {}{hint}", a(&ty)),
                        );
                    } else if !matches!(ty, Ty::Double | Ty::Dyn) {
                        self.error(
                            x,
                            format!("`{name}` takes `{pname}` as a double, got {}", a(&ty)),
                        );
                    }
                }
                Arg::Pattern => match literal_str(x) {
                    Some("") => {
                        self.error(x, format!("`{name}` needs a pattern, got ''"));
                    }
                    Some(p) if p.contains('"') => {
                        self.error(x, format!("`{name}`'s pattern cannot hold a double quote"));
                    }
                    Some(_) => {}
                    None => {
                        self.error(
                            x,
                            format!(
                                "`{name}` takes `{pname}` as a string literal: \
                                 the lines are counted before the expression runs"
                            ),
                        );
                    }
                },
                Arg::Metric | Arg::Declared => {
                    if !(ty.is_string() || ty == Ty::Dyn) {
                        self.error(x, format!("`{name}` takes a metric name, got {}", a(&ty)));
                    } else if let Some(m) = literal_str(x) {
                        let own: &[&str] = match (arg, self.env.scope) {
                            (Arg::Declared, _) => &[],
                            (_, ScopeKind::Service) => SERVICE_METRICS,
                            (_, ScopeKind::Cache) => CACHE_METRICS,
                        };
                        let declared = self.env.declared.iter().map(String::as_str);
                        if !own.contains(&m) && !self.env.declared.iter().any(|d| d == m) {
                            let known: Vec<&str> = own.iter().copied().chain(declared).collect();
                            let hint = did_you_mean(m, known.iter().copied());
                            let listed = if known.is_empty() {
                                "none: declare one with [[metric]]".to_string()
                            } else {
                                known.join(", ")
                            };
                            let whose = match arg {
                                Arg::Declared => "declared".to_string(),
                                _ => format!("for a {} scope", self.env.scope.label()),
                            };
                            self.error(
                                x,
                                format!("unknown metric `{m}` {whose} (metrics: {listed}){hint}"),
                            );
                        }
                    }
                }
            }
            if h.lookback == Some(i)
                && let Some(minutes) = literal_number(x)
            {
                let limit = (LOOKBACK_S / 60) as f64;
                if minutes > limit {
                    self.error(
                        x,
                        format!(
                            "`{name}` looks back {minutes} min, but the history holds {limit} min: \
                             it can never see that far (at most {limit:.1})"
                        ),
                    );
                }
            }
        }
        if name == "log_matches" {
            self.log_query(e, all);
        }
        match h.returns {
            Returns::Bool => Ty::Bool,
            Returns::Double => Ty::Double,
            Returns::String => Ty::String,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<(usize, String)> {
        let env = CheckEnv {
            scope: ScopeKind::Service,
            proposed: None,
            walk: true,
            declared: vec!["read_throttles".into()],
        };
        check(src, &Want::Bool, &env)
            .into_iter()
            .map(|e| (e.offset, e.message))
            .collect()
    }

    #[test]
    fn a_typo_behind_and_is_found_with_a_suggestion() {
        let src = "sustained_above('cpu', 85.0, 2.0) && service.p95_mss > 3000.0";
        let got = errors(src);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, src.find("service.p95_mss").unwrap());
        assert_eq!(
            got[0].1,
            "No such key: p95_mss: `service` has no field `p95_mss` (did you mean `p95_ms`?)"
        );
        // Behind || and in either branch of ?: too.
        assert_eq!(errors("true || service.cpux > 1.0").len(), 1);
        assert_eq!(
            errors("service.has_cpu ? service.cpu > 1.0 : servce.cpu > 2.0").len(),
            1
        );
        assert!(errors("service.has_cpu ? service.cpu > 1.0 : false").is_empty());
    }

    #[test]
    fn impossible_string_literals_are_found() {
        let src = "service.deployment == 'rolling'";
        let got = errors(src);
        assert_eq!(got[0].0, src.find("'rolling'").unwrap());
        assert_eq!(
            got[0].1,
            "`service.deployment` is never 'rolling' (its values: 'stable', 'in_progress', 'failed')"
        );
        assert!(errors("service.deployment != 'failed'").is_empty());
        assert!(errors("service.strategy.exists(s, s.provider == 'FARGATE_SPOT')").is_empty());
        let got = errors("service.strategy.exists(s, s.provider == 'FARGATE_SPOTS')");
        assert!(
            got[0].1.contains("(did you mean `FARGATE_SPOT`?)"),
            "{got:?}"
        );
        assert_eq!(errors("service.arch in ['x86', 'amd64']").len(), 1);
    }

    #[test]
    fn lookbacks_past_the_ring_and_unknown_metrics_are_found() {
        let got = errors("sustained_above('cpu', 85.0, 120.0)");
        assert_eq!(got.len(), 1);
        assert!(
            got[0]
                .1
                .starts_with("`sustained_above` looks back 120 min, but the history holds 60 min"),
            "{got:?}"
        );
        assert_eq!(got[0].0, "sustained_above('cpu', 85.0, ".len());
        assert!(errors("failed_tasks(60.0) > 0.0").is_empty());
        let got = errors("sustained_above('cpuu', 85.0, 2.0)");
        assert!(
            got[0].1.contains("unknown metric `cpuu`") && got[0].1.contains("did you mean `cpu`"),
            "{got:?}"
        );
    }

    #[test]
    fn log_matches_takes_literals_over_a_window_the_reader_counts() {
        let env = |walk| CheckEnv {
            scope: ScopeKind::Service,
            proposed: None,
            walk,
            declared: Vec::new(),
        };
        let src =
            "log_matches('OutOfMemoryError', 10.0) > 0.0 || log_matches('SIGTERM', 60.0) > 2.0";
        let (errs, queries) = checked(src, &Want::Bool, &env(true));
        assert!(errs.is_empty(), "{errs:?}");
        let got: Vec<(&str, u32)> = queries
            .iter()
            .map(|q| (q.pattern.as_str(), q.minutes))
            .collect();
        assert_eq!(got, [("OutOfMemoryError", 10), ("SIGTERM", 60)]);
        for (bad, says) in [
            (
                "log_matches('OOM', 90.0) > 0.0",
                "whole minutes from 1 to 60",
            ),
            (
                "log_matches('OOM', 2.5) > 0.0",
                "whole minutes from 1 to 60",
            ),
            ("log_matches('OOM', service.cpu) > 0.0", "a number literal"),
            ("log_matches(service.arch, 5.0) > 0.0", "a string literal"),
            ("log_matches('', 5.0) > 0.0", "needs a pattern"),
            ("log_matches('OOM') > 0.0", "takes 2 argument(s)"),
        ] {
            let got = errors(bad);
            assert!(got.iter().any(|e| e.1.contains(says)), "{bad}: {got:?}");
        }
        let (errs, _) = checked("log_matches('OOM', 5.0) > 0.0", &Want::Bool, &env(false));
        assert!(errs[0].message.contains("not in a trigger"), "{errs:?}");
    }

    #[test]
    fn numbers_and_types() {
        let got = errors("service.running >= service.max - 5");
        assert!(
            got[0].1.contains("numbers are doubles: write 5.0, not 5"),
            "{got:?}"
        );
        assert!(
            errors("service.running >= 5").is_empty(),
            "comparisons mix numbers at run time"
        );
        let got = errors("interrupted_share(10) > 10.0");
        assert!(got[0].1.contains("write 10.0, not 10"), "{got:?}");
        assert_eq!(
            errors("service.cpu")[0].1,
            "must be true or false, got a double"
        );
        assert!(errors("'next-event' in service.tags && timestamp(service.tags['next-event']) - now <= duration('2h')").is_empty());
        assert!(errors("service.scheduled.exists(n, n == 'prewarm-event')").is_empty());
        assert_eq!(errors("nosuch(1.0)").len(), 1);
        assert!(
            errors("sustaned_above('cpu', 1.0, 1.0)")[0]
                .1
                .contains("did you mean `sustained_above`")
        );
    }

    #[test]
    fn nearest_names() {
        assert_eq!(nearest("p95_mss", ["p95_ms", "cpu"]), Some("p95_ms"));
        assert_eq!(nearest("zzz", ["p95_ms", "cpu"]), None);
        assert_eq!(nearest("runing", ["running", "pending"]), Some("running"));
    }
}
