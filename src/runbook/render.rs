//! A runbook as text: an indented tree for the terminal and a Mermaid
//! `flowchart TD` shaped like the seeds' decision-tree diagrams.

use std::fmt::Write as _;

use super::model::{Node, NodeKind, Revert, Runbook};
use crate::action::catalogue;

/// The tree from the start node; a node already printed is referenced, not repeated.
pub fn tree(rb: &Runbook) -> String {
    let mut out = format!("{} — {}\nscope: {}\n", rb.id, rb.title, rb.scope.label());
    if let Some(t) = &rb.trigger {
        let _ = writeln!(out, "trigger: {}\nwhy: {}", t.when.src, t.why.source());
    }
    out.push('\n');
    let mut seen = vec![false; rb.nodes.len()];
    walk(rb, rb.start, "", 0, &mut seen, &mut out);
    out
}

fn walk(rb: &Runbook, i: usize, edge: &str, depth: usize, seen: &mut [bool], out: &mut String) {
    let node = &rb.nodes[i];
    let indent = "  ".repeat(depth);
    let edge = if edge.is_empty() {
        String::new()
    } else {
        format!("{edge} -> ")
    };
    if std::mem::replace(&mut seen[i], true) {
        let _ = writeln!(out, "{indent}{edge}(see {})", node.id);
        return;
    }
    let _ = writeln!(
        out,
        "{indent}{edge}[{}] {} ({}): {}{}",
        node.phase.label(),
        node.id,
        node.kind_name(),
        node.label(),
        detail(node)
    );
    for (label, target) in node.edges() {
        let label = if label.is_empty() {
            "next".to_string()
        } else {
            label
        };
        walk(rb, target, &label, depth + 1, seen, out);
    }
}

fn detail(node: &Node) -> String {
    match &node.kind {
        NodeKind::Check(c) if node.title.is_some() => format!(" — {}", c.question),
        NodeKind::Action(a) => {
            let params: Vec<String> = a
                .params
                .iter()
                .map(|(k, e)| format!("{k} = {}", e.src))
                .collect();
            let verify = a
                .verify
                .as_ref()
                .map(|v| format!("; verify {} within {} min", v.when.src, v.minutes))
                .unwrap_or_default();
            format!(
                " {}({}){verify}; revert: {}",
                a.action,
                params.join(", "),
                revert(&a.action, &a.revert)
            )
        }
        NodeKind::Wait(w) if node.title.is_some() => {
            format!(" — until {} (max {} min)", w.when.src, w.minutes)
        }
        _ => String::new(),
    }
}

/// How an action node is undone, as `runbook show` prints it.
pub fn revert(action: &str, revert: &Revert) -> String {
    match revert {
        Revert::None => "none".into(),
        Revert::Auto => format!(
            "auto ({})",
            catalogue::spec(action).map_or("from the state before", |s| s.revert)
        ),
        Revert::Action { action, params } => {
            let params: Vec<String> = params
                .iter()
                .map(|(k, e)| format!("{k} = {}", e.src))
                .collect();
            format!(
                "{action}({}), evaluated before the change",
                params.join(", ")
            )
        }
    }
}

/// Mermaid source for the runbook's graph.
pub fn mermaid(rb: &Runbook) -> String {
    let mut out = String::from("flowchart TD\n");
    for node in &rb.nodes {
        let label = escape(&wrap(&mermaid_label(node), 28));
        let id = mermaid_id(&node.id);
        let shape = match node.kind {
            NodeKind::Check(_) => format!("{id}{{\"{label}\"}}"),
            NodeKind::Wait(_) => format!("{id}([\"{label}\"])"),
            NodeKind::Escalate { .. } => format!("{id}[[\"{label}\"]]"),
            _ => format!("{id}[\"{label}\"]"),
        };
        let _ = writeln!(out, "    {shape}");
    }
    out.push('\n');
    for node in &rb.nodes {
        for (answer, target) in node.edges() {
            let to = mermaid_id(&rb.nodes[target].id);
            let from = mermaid_id(&node.id);
            if answer.is_empty() {
                let _ = writeln!(out, "    {from} --> {to}");
            } else {
                let text = node
                    .edge_label(&answer)
                    .map_or_else(|| capitalise(&answer), str::to_string);
                let _ = writeln!(out, "    {from} -->|\"{}\"| {to}", escape(&text));
            }
        }
    }
    out
}

fn mermaid_label(node: &Node) -> String {
    match &node.kind {
        NodeKind::Action(a) if node.title.is_none() => format!("ACTION: {}", a.action),
        _ => node.label(),
    }
}

fn mermaid_id(id: &str) -> String {
    id.replace(['-', '.'], "_")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn escape(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// Break a label into lines of about `width` characters, joined with `<br/>`.
fn wrap(s: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in s.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.join("<br/>")
}
