//! The wall on moto through a loopback proxy that can be cut: the stale banner
//! comes up within three refresh intervals of the endpoint going away, says
//! why, and clears by itself when the endpoint comes back.

use crate::common::moto;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use moto::moto;
use sitrep::config::Config;
use sitrep::model::FleetSnapshot;
use sitrep::source::aws::AwsClients;
use sitrep::ui::app::{App, Event};
use sitrep::ui::fixtures::{buffer_text, render};
use sitrep::ui::keymap::Keymap;
use sitrep::ui::theme::Theme;
use sitrep::ui::view;

/// A TCP relay to `upstream`; while cut, open connections are dropped and new
/// ones are closed at once, as a lost route or a stopped endpoint looks.
struct Proxy {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    cut_tx: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (cut_tx, cut_rx) = tokio::sync::watch::channel(0u64);
        let accepting = up.clone();
        tokio::spawn(async move {
            let mut open = JoinSet::new();
            let mut cuts = cut_rx;
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { return };
                        if !accepting.load(Ordering::SeqCst) {
                            drop(client);
                            continue;
                        }
                        let upstream = upstream.clone();
                        open.spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        });
                    }
                    _ = cuts.changed() => open.abort_all(),
                }
            }
        });
        Proxy { addr, up, cut_tx }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut_tx.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// The wall's second row: the banner when data is stale, tiles otherwise.
fn banner(app: &App) -> String {
    let text = buffer_text(&render(app, 160, 48, view::draw));
    text.lines().nth(1).unwrap_or_default().to_string()
}

/// Feed snapshots to the wall until `done` holds for its banner; how long it took.
async fn until(
    app: &mut App,
    feed: &mut mpsc::Receiver<Box<FleetSnapshot>>,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let snap = tokio::time::timeout(Duration::from_secs(30), feed.recv())
            .await
            .unwrap_or_else(|_| panic!("no snapshot within 30 s waiting for {what}"))
            .expect("the poller runs");
        app.handle(Event::Tick(Utc::now()));
        app.handle(Event::Snapshot(snap));
        if done(&banner(app)) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "{what}: still {:?}",
            banner(app)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_banner_comes_with_an_outage_and_goes_with_it() {
    let moto = moto();
    let upstream = moto.aws_config().endpoint_url.unwrap();
    let proxy = Proxy::start(upstream.trim_start_matches("http://").to_string()).await;
    let mut cfg = Config {
        read_only: true,
        wall: true,
        ..Config::default()
    };
    cfg.aws = moto.aws_config();
    cfg.aws.endpoint_url = Some(format!("http://{}", proxy.addr));
    cfg.aws.metrics_interval_s = 1;
    cfg.aws.config_interval_s = 1;
    cfg.aws.call_timeout_s = 2;
    let clients = AwsClients::new(&cfg.aws).await.unwrap();
    let (tx, mut feed) = mpsc::channel(4);
    let poller = sitrep::source::aws::spawn_with(clients, &cfg.aws, tx);
    let mut app = App::new(&cfg, Keymap::default_map(), Theme::dark(), Utc::now());

    until(&mut app, &mut feed, "fresh data", |b| !b.contains("STALE")).await;

    proxy.cut();
    let took = until(&mut app, &mut feed, "the banner", |b| b.contains("STALE")).await;
    let b = banner(&app);
    assert!(
        b.contains("the AWS endpoint cannot be reached")
            || b.contains("the connection to the AWS endpoint dropped"),
        "the banner says why: {b}"
    );
    let three_intervals = app.plan.fast * 3;
    assert!(
        took < three_intervals.to_std().unwrap() + Duration::from_secs(2),
        "banner after {took:?}, three intervals are {three_intervals}"
    );

    proxy.restore();
    until(&mut app, &mut feed, "the banner to clear", |b| {
        !b.contains("STALE")
    })
    .await;
    poller.abort();
}
