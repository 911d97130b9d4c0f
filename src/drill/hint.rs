//! Hints: what the runbook asks next on the path the data supports. A drill
//! charges for the first hint at each node; pressing again there is free.

use crate::runbook::machine::{Machine, State};
use crate::runbook::model::{Node, NodeKind};

/// Points a hint costs.
pub const HINT_COST: u32 = 5;

/// The next node on the evaluated path, as the trainee would meet it; `None`
/// at the end of the walk or where the data does not decide yet.
pub fn next_on_path(machine: &Machine) -> Option<String> {
    let rb = machine.runbook();
    let node = &rb.nodes[rb.node_index(machine.current())?];
    let next = match (&node.kind, machine.state()) {
        (NodeKind::Check(check), State::Answering { suggested, .. }) => {
            let answer = suggested.as_deref()?;
            let label = node.edge_label(answer).unwrap_or(answer);
            return Some(format!(
                "the data says {label}; next: {}",
                ask(&rb.nodes[check.target(answer)?])
            ));
        }
        (NodeKind::Wait(w), _) => {
            return Some(format!(
                "if it holds: {}; if not in {} min: {}",
                ask(&rb.nodes[w.met]),
                w.minutes,
                ask(&rb.nodes[w.timeout])
            ));
        }
        (NodeKind::Action(a), _) => a.next,
        (NodeKind::Step { next, .. }, _) => *next,
        _ => return None,
    };
    Some(format!("next: {}", ask(&rb.nodes[next])))
}

/// What a node asks or does, in a few words: a check's question, else its label.
fn ask(node: &Node) -> String {
    match &node.kind {
        NodeKind::Check(c) => c.question.clone(),
        _ => node.label(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::ServiceKey;
    use crate::model::history::FleetHistory;
    use crate::runbook::library::{self, Library};
    use crate::runbook::machine::Event;
    use crate::runbook::model::Scope;
    use crate::runbook::{EvalContext, OverrideFacts};
    use crate::sim::{Simulator, load_scenario};

    #[test]
    fn a_fresh_walk_hints_at_the_first_question_after_its_start() {
        let lib = Library::from_loaded(library::shipped());
        let rb = lib.get("failed-deploy").unwrap().clone();
        let machine = Machine::new(
            Arc::clone(&rb),
            Scope::Service(ServiceKey::new("manga-chatbot", "worker")),
        );
        // Before any evaluation a check decides nothing: no hint to give.
        assert_eq!(next_on_path(&machine), None);
    }

    #[test]
    fn at_an_evaluated_check_the_hint_names_the_answer_and_the_next_question() {
        let lib = Library::from_loaded(library::shipped());
        let rb = lib.get("failed-deploy").unwrap().clone();
        let mut sim = Simulator::new(load_scenario("image-missing").unwrap(), 7);
        let mut history = FleetHistory::default();
        for _ in 0..16 {
            sim.advance(30);
            history.record(&sim.snapshot());
        }
        let snap = sim.snapshot();
        let facts = OverrideFacts::default();
        let ec = EvalContext::new(&snap, &history, &facts);
        let mut machine = Machine::new(
            rb,
            Scope::Service(ServiceKey::new("manga-chatbot", "worker")),
        );
        machine.handle(Event::Evaluate, &ec);
        assert_eq!(
            next_on_path(&machine).as_deref(),
            Some("the data says yes; next: CHECK: the stop reason of the failed tasks")
        );
    }
}
