//! Tests of the cockpit driven by the simulator. They sit above both (the UI
//! itself never names the simulator), as the entry layer does.

mod cockpit;
mod evidence;
mod journal;
mod walk;
mod watch;
