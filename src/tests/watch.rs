//! Watch after acting, on the simulator: a desired count raised by hand on a
//! calm service is pulled back by its target-tracking policy, and the cockpit
//! says so, naming the policy.

use crate::action::executor::Outcome;
use crate::action::ledger::LedgerChange;
use crate::config::{Config, SimConfig};
use crate::model::request::ActionRequest;
use crate::sim::{STEP_S, Simulator};
use crate::ui::app::{App, Effect, Event};
use crate::ui::event::ActionResult;
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;

#[test]
fn the_scaler_pulling_a_raised_desired_count_back_is_flagged() {
    let mut sim = Simulator::from_config(&SimConfig {
        scenario: "calm".into(),
        seed: 7,
        speed: 1.0,
    })
    .unwrap();
    let mut app = App::new(
        &Config::default(),
        Keymap::default_map(),
        Theme::dark(),
        sim.now(),
    );
    // The change back goes to the journal: the effects say what the loop records.
    let step = |app: &mut App, sim: &mut Simulator, minutes: u32| {
        let mut journal = Vec::new();
        for _ in 0..(minutes * 60 / STEP_S) {
            sim.advance(STEP_S);
            app.now = sim.now();
            for effect in app.handle(Event::Snapshot(Box::new(sim.snapshot()))) {
                if let Effect::Journal(back) = effect {
                    journal.push(*back);
                }
            }
        }
        journal
    };
    step(&mut app, &mut sim, 10);
    let snap = app.snapshot.clone().unwrap();
    let service = snap
        .services
        .iter()
        .find(|s| {
            s.scaling
                .as_ref()
                .is_some_and(|t| t.policies.iter().any(|p| !p.disable_scale_in))
        })
        .expect("a calm service scaled by target tracking");
    let request = ActionRequest::SetDesiredCount {
        service: service.key.clone(),
        desired: (service.desired * 3).min(service.bounds().unwrap().1),
    };
    let summary = sim.apply(&request).unwrap();
    app.handle(Event::Outcome(Box::new(ActionResult {
        purpose: crate::action::confirm::Purpose::Node {
            runbook: "ecs-saturation".into(),
            node: "set-desired".into(),
        },
        request: request.clone(),
        outcome: Outcome::Applied {
            summary,
            revert: None,
            ledger: LedgerChange::Nothing,
            warnings: Vec::new(),
        },
    })));
    let journal = step(&mut app, &mut sim, 20);
    assert_eq!(app.changed_back.len(), 1, "{:?}", app.changed_back);
    assert_eq!(journal, app.changed_back, "recorded in the journal too");
    let back = &app.changed_back[0];
    assert!(back.cause.contains("target tracking"), "{back}");
    let message = &app.message.as_ref().unwrap().text;
    assert!(message.contains("desired count changed back"), "{message}");
}
