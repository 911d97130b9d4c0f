//! The real binary in a pseudo-terminal: a signal closes the cockpit as `q`
//! does, and the terminal is left as it was found (cooked mode, main screen,
//! cursor shown). The simulator is the default source, so no AWS is needed.
#![cfg(unix)]

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};
use rustix::process::{Pid, Signal, kill_process};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{LocalModes, Termios, Winsize, tcgetattr, tcsetwinsize};

const ENTER_ALTERNATE: &[u8] = b"\x1b[?1049h";
const LEAVE_ALTERNATE: &[u8] = b"\x1b[?1049l";
const SHOW_CURSOR: &[u8] = b"\x1b[?25h";

/// A pseudo-terminal pair; the test keeps the terminal side open to read its
/// modes after the child has gone.
struct Pty {
    controller: OwnedFd,
    terminal: OwnedFd,
}

fn pty() -> Pty {
    let controller =
        openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("openpt");
    grantpt(&controller).expect("grantpt");
    unlockpt(&controller).expect("unlockpt");
    let name = ptsname(&controller, Vec::new()).expect("ptsname");
    let terminal = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .expect("open the terminal side");
    tcsetwinsize(
        &terminal,
        Winsize {
            ws_row: 40,
            ws_col: 140,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
    .expect("set the window size");
    Pty {
        controller,
        terminal,
    }
}

/// Everything the child writes to its terminal, read as it comes so it never
/// blocks on a full buffer.
fn collect(controller: OwnedFd) -> Arc<Mutex<Vec<u8>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut file = File::from(controller);
        let mut buf = [0u8; 8192];
        // Ends with EIO once no process holds the terminal side.
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    seen
}

/// The cockpit on the simulator, in its own session with the pty as its
/// controlling terminal, as a shell in a terminal emulator would start it.
fn spawn_cockpit(pty: &Pty, home: &std::path::Path) -> Child {
    let stdio = || Stdio::from(pty.terminal.try_clone().expect("dup the terminal side"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    cmd.env_clear()
        .env("TERM", "xterm-256color")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("SITREP_CONFIG_DIR", home.join("config"))
        .env("SITREP_DATA_DIR", home.join("data"))
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio());
    // SAFETY: setsid and the TIOCSCTTY ioctl are async-signal-safe system
    // calls with no allocation; they run in the forked child after its
    // standard streams were set to the terminal side.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::setsid()?;
            rustix::process::ioctl_tiocsctty(std::io::stdin().as_fd())?;
            Ok(())
        });
    }
    cmd.spawn().expect("start the sitrep binary")
}

fn wait_for(what: &str, seen: &Mutex<Vec<u8>>, child: &mut Child, found: impl Fn(&[u8]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if found(&seen.lock().unwrap()) {
            return;
        }
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            panic!(
                "{what} not seen; output: {:?}",
                String::from_utf8_lossy(&seen.lock().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait for sitrep") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sitrep did not exit within 20 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn modes(t: &Termios) -> String {
    format!(
        "local {:?} input {:?} output {:?}",
        t.local_modes, t.input_modes, t.output_modes
    )
}

/// Start the cockpit, wait for its first frame, send `signal`, and check the
/// terminal: modes as before, main screen, cursor shown; exit 128 + signal.
fn signal_restores_the_terminal(signal: Signal, number: i32) {
    let home = tempfile::tempdir().unwrap();
    let pty = pty();
    let before = tcgetattr(&pty.terminal).expect("terminal modes before");
    assert!(
        before
            .local_modes
            .contains(LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG)
    );
    let mut child = spawn_cockpit(&pty, home.path());
    let seen = collect(pty.controller.try_clone().unwrap());
    wait_for("the first frame", &seen, &mut child, |out| {
        find(out, ENTER_ALTERNATE).is_some_and(|at| find(&out[at..], b"Fleet").is_some())
    });
    let raw = tcgetattr(&pty.terminal).expect("terminal modes while running");
    assert!(
        !raw.local_modes.contains(LocalModes::ICANON),
        "the cockpit runs in raw mode: {}",
        modes(&raw)
    );

    kill_process(Pid::from_child(&child), signal).expect("send the signal");
    let status = wait_exit(&mut child);
    let after = tcgetattr(&pty.terminal).expect("terminal modes after");
    let left = |out: &[u8]| {
        let entered = rfind(out, ENTER_ALTERNATE).unwrap_or(0);
        rfind(out, LEAVE_ALTERNATE).is_some_and(|at| at > entered)
            && rfind(out, SHOW_CURSOR).is_some_and(|at| at > entered)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !left(&seen.lock().unwrap()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = seen.lock().unwrap().clone();
    drop(pty);

    assert_eq!(
        (after.local_modes, after.input_modes, after.output_modes),
        (before.local_modes, before.input_modes, before.output_modes),
        "terminal modes after {signal:?}: {} (before: {})",
        modes(&after),
        modes(&before)
    );
    assert!(
        left(&out),
        "no leave-alternate-screen and show-cursor after the last frame: {:?}",
        String::from_utf8_lossy(&out[out.len().saturating_sub(400)..])
    );
    assert_eq!(
        status.code(),
        Some(128 + number),
        "exit status after {signal:?}: {status:?}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal(Signal::TERM, 15);
}

#[test]
fn sigint_restores_the_terminal() {
    signal_restores_the_terminal(Signal::INT, 2);
}

#[test]
fn sighup_restores_the_terminal() {
    signal_restores_the_terminal(Signal::HUP, 1);
}

#[test]
fn sigquit_restores_the_terminal() {
    signal_restores_the_terminal(Signal::QUIT, 3);
}
