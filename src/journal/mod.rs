//! The fleet journal: what the fleet did, kept after AWS forgets it.
//!
//! AWS keeps a stopped task about an hour and a service's last 100 events;
//! there is no cluster-wide feed. While a session runs (cockpit, wall, drill
//! or headless run) each snapshot is compared with what was seen before
//! (`observe`, pure) and what is new is appended to JSON Lines files
//! (`files`): alarm changes, Spot warnings and interruptions, task stops with
//! their reasons and exit codes, scaling activities, deployments, service
//! events (each once), stale parts, and every service's figures once a
//! minute. `recorder` sits between the source and the screen.
//!
//! Read-only sessions record too: the journal is a local file, not a write
//! to the fleet.

pub mod entry;
pub mod files;
pub mod observe;
pub mod recorder;

pub use entry::{Entry, Figures, Recorded, SCHEMA_VERSION};
pub use files::{JournalDir, Retention};
pub use observe::Observer;
