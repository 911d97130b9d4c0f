//! The loop: one `select!` over terminal events, snapshots and a 1 s clock.
//! Everything already waiting is handled before one draw, and nothing is drawn
//! unless the app says it changed, so an idle cockpit only redraws its clock.

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use color_eyre::Result;
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::app::{App, Effect, Event};
use super::theme::Theme;
use super::view;
use crate::source::Feed;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopStats {
    pub draws: u64,
}

/// Key presses and resizes from the terminal; other terminal events are dropped.
pub fn terminal_events() -> impl Stream<Item = Event> + Unpin {
    EventStream::new().filter_map(|ev| {
        std::future::ready(match ev {
            Ok(TermEvent::Key(k)) => Some(Event::Key(k)),
            Ok(TermEvent::Resize(..)) => Some(Event::Resize),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("terminal event error: {e}");
                None
            }
        })
    })
}

/// Wall time once a second, for the header clock and the data age.
pub fn clock() -> impl Stream<Item = DateTime<Utc>> + Unpin {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    Box::pin(futures_util::stream::unfold(
        interval,
        |mut iv| async move {
            iv.tick().await;
            Some((Utc::now(), iv))
        },
    ))
}

/// Run until a quit effect or until every input has ended.
pub async fn drive<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    input: impl Stream<Item = Event> + Unpin,
    mut feed: Feed,
    ticks: impl Stream<Item = DateTime<Utc>> + Unpin,
    config_dir: Option<&Path>,
    started: Instant,
) -> Result<LoopStats>
where
    B::Error: Send + Sync + 'static,
{
    // Fused, so an ended stream is never polled again.
    let (mut input, mut ticks) = (input.fuse(), ticks.fuse());
    let mut stats = LoopStats::default();
    let mut feed_open = true;
    loop {
        if app.take_dirty() {
            terminal.draw(|f| view::draw(f, app))?;
            stats.draws += 1;
            if stats.draws == 1 {
                tracing::info!(ms = started.elapsed().as_millis() as u64, "first frame");
            }
        }
        let first = tokio::select! {
            Some(ev) = input.next() => ev,
            snap = feed.recv(), if feed_open => match snap {
                Some(s) => Event::Snapshot(s),
                None => {
                    tracing::warn!("snapshot source ended");
                    feed_open = false;
                    continue;
                }
            },
            Some(now) = ticks.next() => Event::Tick(now),
            else => return Ok(stats),
        };
        let mut batch = vec![first];
        loop {
            if let Some(Some(ev)) = input.next().now_or_never() {
                batch.push(ev);
            } else if let Ok(s) = feed.try_recv() {
                batch.push(Event::Snapshot(s));
            } else {
                break;
            }
        }
        for ev in batch {
            for effect in app.handle(ev) {
                match effect {
                    Effect::Quit => return Ok(stats),
                    Effect::LoadTheme(name) => app.set_theme(Theme::load(&name, config_dir)),
                }
            }
        }
    }
}
