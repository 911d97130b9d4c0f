//! The cockpit on the simulator: what a user sees after simulated minutes.

use crate::config::{Config, SimConfig};
use crate::sim::{STEP_S, Simulator};
use crate::ui::app::App;
use crate::ui::fixtures::{self, buffer_text, render};
use crate::ui::view;

fn sim_app(scenario: &str, minutes: u32) -> App {
    let mut sim = Simulator::from_config(&SimConfig {
        scenario: scenario.into(),
        seed: 7,
        speed: 1.0,
    })
    .expect("the shipped scenario loads");
    fixtures::stepped_app(&mut sim, STEP_S, minutes, &Config::default()).unwrap()
}

fn cockpit(app: &App, w: u16, h: u16) -> String {
    buffer_text(&render(app, w, h, view::draw))
}

#[test]
fn simulator_calm_160x48() {
    insta::assert_snapshot!(cockpit(&sim_app("calm", 30), 160, 48));
}

#[test]
fn simulator_manga_release_saturated_80x24() {
    insta::assert_snapshot!(cockpit(&sim_app("manga-release", 20), 80, 24));
}

/// Minute 12 of the release: orchestrator has just reached its max, so the
/// fleet's countdown is websocket-handler's, not a stale one for orchestrator.
#[test]
fn simulator_manga_release_counts_down_to_the_next_max() {
    let screen = cockpit(&sim_app("manga-release", 12), 160, 48);
    let title = screen.lines().nth(1).expect("the fleet pane's title");
    assert!(title.contains("websocket-handler at max in 7m"), "{title}");
}
