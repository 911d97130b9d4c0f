//! moto servers for the AWS tests: one per test file, seeded once, gone
//! when the test process exits. Files share one binary, so each gets its own
//! server: one file's writes never show up in another file's reads.
//!
//! moto runs under a small Python watchdog that holds the server as its child
//! and reads its own stdin; the pipe's write end lives in a static, so when the
//! test process exits (however it exits) the watchdog sees EOF and stops moto.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::Location;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sitrep::config::AwsConfig;

const WATCHDOG: &str = r#"
import subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    sys.stdin.buffer.read()
finally:
    child.terminate()
    try:
        child.wait(timeout=5)
    except Exception:
        child.kill()
"#;

pub struct Moto {
    pub endpoint: String,
    /// Never dropped: the open stdin keeps moto alive until this process exits.
    _watchdog: Mutex<(Child, ChildStdin)>,
}

type Servers = Mutex<HashMap<&'static str, &'static OnceLock<Moto>>>;

static SERVERS: OnceLock<Servers> = OnceLock::new();

/// The seeded server of the calling test file (started on its first use).
#[track_caller]
pub fn moto() -> &'static Moto {
    let file = Location::caller().file();
    let slot: &'static OnceLock<Moto> = SERVERS
        .get_or_init(Servers::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(file)
        .or_insert_with(|| Box::leak(Box::default()));
    slot.get_or_init(|| {
        let moto = start();
        moto.seed();
        moto
    })
}

impl Moto {
    /// Reader/writer config against this server: no retries, short timeouts.
    pub fn aws_config(&self) -> AwsConfig {
        AwsConfig {
            enabled: true,
            region: Some("us-east-1".into()),
            endpoint_url: Some(self.endpoint.clone()),
            max_attempts: 1,
            call_timeout_s: 10,
            ..AwsConfig::default()
        }
    }

    fn seed(&self) {
        self.api("POST", "/moto-api/reset");
        let script = fixtures().join("seed.py");
        let out = Command::new("python3")
            .arg(&script)
            .arg(&self.endpoint)
            .output()
            .expect("run python3 for the moto seed script");
        assert!(
            out.status.success(),
            "seeding moto with {} failed:\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A moto-api call (`/moto-api/...`), returning the response body.
    pub fn api(&self, method: &str, path: &str) -> String {
        let addr = self.endpoint.trim_start_matches("http://");
        http(addr, method, path).unwrap_or_else(|e| panic!("moto {method} {path}: {e}"))
    }
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/moto")
}

/// The moto command, found (or installed) once per process; the dummy
/// credentials for the standard chain are set at the same time.
fn server() -> &'static [String] {
    static SERVER: OnceLock<Vec<String>> = OnceLock::new();
    SERVER.get_or_init(|| {
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ] {
            // SAFETY: std serialises its own environment access, and nothing
            // in the test process reads the environment through libc.
            unsafe { std::env::set_var(k, v) };
        }
        server_command().unwrap_or_else(|| {
            eprintln!("moto_server not found: installing moto[server] with pip");
            let ok = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "moto[server]"])
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "could not install moto[server] with `python3 -m pip install 'moto[server]'`"
            );
            server_command().expect(
                "moto[server] installed but neither `moto_server` nor `python3 -m moto.server` runs",
            )
        })
    })
}

fn start() -> Moto {
    let server = server();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(WATCHDOG)
        .args(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        // The request recorder writes to the working directory unless told otherwise.
        .env(
            "MOTO_RECORDER_FILEPATH",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto_recording_{port}")),
        )
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::piped())
        .spawn()
        .expect("start the moto watchdog with python3");
    let stdin = child.stdin.take().expect("watchdog stdin");
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(&addr, "GET", "/moto-api/data.json").is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not answer on {addr} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        endpoint: format!("http://{addr}"),
        _watchdog: Mutex::new((child, stdin)),
    }
}

/// `moto_server` on PATH, else the module form.
fn server_command() -> Option<Vec<String>> {
    let runs = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if runs("moto_server", &["--help"]) {
        Some(vec!["moto_server".into()])
    } else if runs("python3", &["-m", "moto.server", "--help"]) {
        Some(vec!["python3".into(), "-m".into(), "moto.server".into()])
    } else {
        None
    }
}

fn http(addr: &str, method: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    if !text.starts_with("HTTP/1") {
        return Err(std::io::Error::other("not HTTP"));
    }
    Ok(text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}
