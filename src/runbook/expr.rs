//! CEL expressions: compiling with positions, evaluating against an
//! `EvalContext`, converting results, and `{expr}` text templates.

use std::sync::{Arc, LazyLock};

use cel::{Context, Env, Program, Value};
use serde_json::json;

use super::facts::{EvalContext, Scope};
use super::helpers;
use super::vars::Vars;

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

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

impl Expr {
    pub fn compile(src: &str) -> Result<Expr, ExprError> {
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

impl Evaluator {
    pub fn new(ec: &EvalContext<'_>, scope: &Scope) -> Self {
        let vars = Vars::new(ec, scope);
        let mut ctx = Context::with_env(ENV.clone());
        // The var structs hold only strings, doubles, bools, lists and string maps,
        // which always serialise.
        let results = [
            ctx.add_variable("service", vars.service),
            ctx.add_variable("cache", vars.cache),
            ctx.add_variable("fleet", vars.fleet),
            ctx.add_variable("baseline", vars.baseline),
        ];
        debug_assert!(results.iter().all(Result::is_ok));
        let now = ec.now().fixed_offset();
        ctx.add_variable_from_value("now", Value::Timestamp(now));
        ctx.add_variable_from_value("scope", Value::from(scope.to_string()));
        helpers::register(&mut ctx, ec, scope);
        Self { ctx }
    }

    pub fn eval(&self, expr: &Expr) -> Result<Value, String> {
        expr.program.execute(&self.ctx).map_err(|e| e.to_string())
    }

    pub fn eval_bool(&self, expr: &Expr) -> Result<bool, String> {
        match self.eval(expr)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!("must be true or false, got {}", type_name(&other))),
        }
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
        Ok(Template { parts })
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
    use super::*;

    #[test]
    fn parse_error_position_is_one_based_inside_the_expression() {
        let e = Expr::compile("service.cpu > > 85.0").unwrap_err();
        assert_eq!((e.line, e.col), (1, 15), "{e:?}");
        let e = Expr::compile("a &&\n  > b").unwrap_err();
        assert_eq!((e.line, e.col), (2, 3), "{e:?}");
    }
}
