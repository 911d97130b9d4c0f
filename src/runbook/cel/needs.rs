//! Which variables, and which of their fields, a set of expressions reads:
//! an evaluation of every scope of a large fleet builds only those.

use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr as Ast};

/// What the expressions read of one variable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Read {
    #[default]
    Nothing,
    /// Only these fields, each as `var.field`.
    Fields(Vec<String>),
    /// The variable itself (passed whole, indexed, iterated).
    Whole,
}

impl Read {
    pub fn any(&self) -> bool {
        *self != Read::Nothing
    }

    /// Whether the field named is read.
    pub fn wants(&self, field: &str) -> bool {
        match self {
            Read::Nothing => false,
            Read::Fields(fields) => fields.iter().any(|f| f == field),
            Read::Whole => true,
        }
    }

    fn field(&mut self, field: &str) {
        match self {
            Read::Nothing => *self = Read::Fields(vec![field.to_string()]),
            Read::Fields(fields) if !fields.iter().any(|f| f == field) => {
                fields.push(field.to_string());
            }
            Read::Fields(_) | Read::Whole => {}
        }
    }
}

/// The scope's variables the expressions read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Needs {
    pub service: Read,
    pub cache: Read,
    pub fleet: Read,
    pub baseline: Read,
    pub scope: Read,
}

impl Needs {
    /// Everything, as a walk's evaluator needs (any expression may come).
    pub fn all() -> Needs {
        Needs {
            service: Read::Whole,
            cache: Read::Whole,
            fleet: Read::Whole,
            baseline: Read::Whole,
            scope: Read::Whole,
        }
    }

    /// Nothing yet: `add` each expression.
    pub fn none() -> Needs {
        Needs {
            service: Read::Nothing,
            cache: Read::Nothing,
            fleet: Read::Nothing,
            baseline: Read::Nothing,
            scope: Read::Nothing,
        }
    }

    /// What the parsed expression reads, added.
    pub fn add(&mut self, ast: &IdedExpr) {
        self.walk(ast);
    }

    fn read(&mut self, name: &str) -> Option<&mut Read> {
        Some(match name {
            "service" => &mut self.service,
            "cache" => &mut self.cache,
            "fleet" => &mut self.fleet,
            "baseline" => &mut self.baseline,
            "scope" => &mut self.scope,
            _ => return None,
        })
    }

    fn walk(&mut self, e: &IdedExpr) {
        match &e.expr {
            Ast::Select(select) => match &select.operand.expr {
                Ast::Ident(name) => {
                    if let Some(read) = self.read(name) {
                        read.field(&select.field);
                    }
                }
                _ => self.walk(&select.operand),
            },
            Ast::Ident(name) => {
                if let Some(read) = self.read(name) {
                    *read = Read::Whole;
                }
            }
            Ast::Call(call) => {
                call.target.iter().for_each(|t| self.walk(t));
                call.args.iter().for_each(|a| self.walk(a));
            }
            Ast::Comprehension(c) => {
                for part in [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ] {
                    self.walk(part);
                }
            }
            Ast::List(list) => list.elements.iter().for_each(|e| self.walk(e)),
            Ast::Map(map) => map.entries.iter().for_each(|e| self.entry(&e.expr)),
            Ast::Struct(st) => st.entries.iter().for_each(|e| self.entry(&e.expr)),
            Ast::Literal(_) | Ast::Unspecified => {}
        }
    }

    fn entry(&mut self, entry: &EntryExpr) {
        match entry {
            EntryExpr::StructField(f) => self.walk(&f.value),
            EntryExpr::MapEntry(m) => {
                self.walk(&m.key);
                self.walk(&m.value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(srcs: &[&str]) -> Needs {
        let env = cel::Env::stdlib();
        let mut needs = Needs::none();
        for src in srcs {
            needs.add(&env.parser().parse(src).unwrap());
        }
        needs
    }

    #[test]
    fn fields_read_by_name_and_variables_read_whole() {
        let n = needs(&[
            "service.cpu > 80.0 && sustained_above('cpu', 85.0, 2.0)",
            "has(service.max) && service.cpu < baseline.min",
            "'next-event' in service.tags && service.scheduled.exists(n, n == 'x')",
        ]);
        assert_eq!(
            n.service,
            Read::Fields(vec![
                "cpu".into(),
                "max".into(),
                "tags".into(),
                "scheduled".into()
            ])
        );
        assert!(n.service.wants("tags") && !n.service.wants("memory"));
        assert_eq!(n.baseline, Read::Fields(vec!["min".into()]));
        assert_eq!(
            (n.cache.any(), n.fleet.any(), n.scope.any()),
            (false, false, false)
        );
        // Passed whole, or indexed rather than selected: every field.
        let n = needs(&["size(service) > 0", "fleet['stale'] || scope == 'x'"]);
        assert_eq!(
            (n.service, n.fleet, n.scope),
            (Read::Whole, Read::Whole, Read::Whole)
        );
        // Inside lists, maps and the ternary too.
        let n = needs(&["[cache.id, {'a': fleet.services}][0] == (scope == '' ? 'a' : 'b')"]);
        assert_eq!(n.cache, Read::Fields(vec!["id".into()]));
        assert_eq!(n.fleet, Read::Fields(vec!["services".into()]));
        assert_eq!(n.scope, Read::Whole);
    }
}
