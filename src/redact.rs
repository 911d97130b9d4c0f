//! Credentials never reach the log: every formatted log event passes through
//! [`scrub`] before it is written, whatever the level.
//!
//! Two nets, so that one missed shape is caught by the other:
//! - the values themselves: secrets registered with [`register_secret`] (the
//!   environment's keys at start, and every credential the AWS SDK resolves)
//!   are replaced wherever they appear;
//! - their shapes: access key ids (`AKIA…`, `ASIA…`), `Credential=` and
//!   `Signature=` in SigV4 headers and presigned URLs, the `authorization`
//!   header, and the value after any key that names a secret
//!   (`x-amz-security-token`, `secret_access_key`, `sessionToken`,
//!   `aws_session_token`, SSO bearer tokens, ...) in header maps, canonical
//!   requests, `Debug` output, JSON and XML.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{LazyLock, Mutex, RwLock};

use regex::Regex;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not registered: too likely to occur in ordinary text,
/// and no real AWS key, secret or token is this short.
const MIN_SECRET_LEN: usize = 8;

static SECRETS: RwLock<BTreeSet<String>> = RwLock::new(BTreeSet::new());

/// Redact `value` wherever it appears in the log from now on.
pub fn register_secret(value: &str) {
    let value = value.trim();
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    let known = SECRETS
        .read()
        .map(|s| s.contains(value))
        .unwrap_or_default();
    if !known && let Ok(mut secrets) = SECRETS.write() {
        secrets.insert(value.to_string());
    }
}

/// The standard AWS credential variables of this process's environment.
pub fn register_env_secrets() {
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    ] {
        if let Ok(value) = std::env::var(var) {
            register_secret(&value);
        }
    }
}

/// What separates a secret-naming key from its value: `: `, `=`, `":"`, or a
/// `Debug`-printed header value (`": HeaderValue { _private: H0("`).
const SEPARATOR: &str =
    r#"["']?[ \t]*[:=][ \t]*(?:HeaderValue[ \t]*\{[ \t]*_private:[ \t]*H\d\()?(?:Some\()?["']?"#;

/// Keys whose value is a secret (case-insensitive; `-`, `_` or nothing between words).
const SECRET_KEYS: &str = r"x-amz-security-token|x-amz-sso[-_]?bearer[-_]?token|x-amz-signature|x-amz-credential|(?:aws[-_]?)?access[-_]?key[-_]?id|(?:aws[-_]?)?secret[-_]?access[-_]?key|(?:aws[-_]?)?session[-_]?token|security[-_]?token|access[-_]?token|refresh[-_]?token|bearer[-_]?token|id[-_]?token|client[-_]?secret|password";

struct Rules {
    keyed: Regex,
    authorization: Regex,
    credential: Regex,
    signature: Regex,
    key_id: Regex,
    xml: Regex,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    // The value ends at a quote, space, or a structural character; a value
    // already masked (the SDK's `** redacted **`, or ours) is left alone.
    keyed: Regex::new(&format!(
        r#"(?i)\b({SECRET_KEYS})({SEPARATOR})([^\s"'`,&;)<>\[\]}}*][^\s"'`,&;)<>\]}}]*)"#
    ))
    .expect("the keyed rule compiles"),
    // Everything after `authorization:` up to the closing quote or the end of the line.
    authorization: Regex::new(&format!(
        r#"(?i)\b(proxy-)?(authorization)({SEPARATOR})([^"'\r\n]+)"#
    ))
    .expect("the authorization rule compiles"),
    credential: Regex::new(r"(?i)\b(Credential=)([^/\s,&;]+)")
        .expect("the credential rule compiles"),
    signature: Regex::new(r"(?i)\b(Signature=)([0-9a-f]{16,})")
        .expect("the signature rule compiles"),
    // Long-term and temporary access key ids (the other ids are not credentials).
    key_id: Regex::new(r"\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b").expect("the key id rule compiles"),
    xml: Regex::new(
        r"(?i)<(SessionToken|SecretAccessKey|AccessKeyId|Token|AccessToken|RefreshToken)>[^<]*</",
    )
    .expect("the xml rule compiles"),
});

/// `text` with every registered secret and every credential-shaped value replaced.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
    }
    let rules = &*RULES;
    let out = replace(
        out,
        &rules.authorization,
        &format!("${{1}}${{2}}${{3}}{REDACTED}"),
    );
    // When the value inside a `Debug`-printed wrapper is already masked, the
    // rule can only match the wrapper's name: leave that be.
    let out = replace(out, &rules.keyed, |caps: &regex::Captures<'_>| {
        if matches!(&caps[3], "HeaderValue" | "Some") {
            caps[0].to_string()
        } else {
            format!("{}{}{REDACTED}", &caps[1], &caps[2])
        }
    });
    let out = replace(out, &rules.credential, &format!("${{1}}{REDACTED}"));
    let out = replace(out, &rules.signature, &format!("${{1}}{REDACTED}"));
    let out = replace(out, &rules.key_id, &format!("${{1}}{REDACTED}"));
    replace(out, &rules.xml, &format!("<${{1}}>{REDACTED}</"))
}

/// `out` with `re` replaced, still borrowed when nothing matched.
fn replace<'a>(out: Cow<'a, str>, re: &Regex, with: impl regex::Replacer) -> Cow<'a, str> {
    let replaced = match re.replace_all(&out, with) {
        Cow::Owned(s) => Some(s),
        Cow::Borrowed(_) => None,
    };
    replaced.map_or(out, Cow::Owned)
}

/// A `tracing_subscriber` writer that scrubs each event before it reaches `sink`:
/// the formatter writes one event into a buffer, and the buffer is scrubbed and
/// written whole when the formatter lets go of it.
pub struct Redacting<W> {
    sink: Mutex<W>,
}

impl<W: Write> Redacting<W> {
    pub fn new(sink: W) -> Self {
        Redacting {
            sink: Mutex::new(sink),
        }
    }
}

impl<'a, W: Write + 'a> tracing_subscriber::fmt::MakeWriter<'a> for Redacting<W> {
    type Writer = EventWriter<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            buf: Vec::new(),
            sink: &self.sink,
        }
    }
}

/// One event on its way to the sink.
pub struct EventWriter<'a, W: Write> {
    buf: Vec<u8>,
    sink: &'a Mutex<W>,
}

impl<W: Write> Write for EventWriter<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for EventWriter<'_, W> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let clean = scrub(&text);
        // A poisoned lock still holds a usable file; a failed write has nowhere to be reported.
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        let _ = sink.write_all(clean.as_bytes());
        let _ = sink.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> String {
        scrub(text).into_owned()
    }

    #[test]
    fn canonical_request_header_lines() {
        let text = "canonical_request=POST\n/\n\nhost:127.0.0.1:5999\nx-amz-date:20261203T084258Z\nx-amz-security-token:IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+abc=\nx-amz-target:AmazonEC2ContainerServiceV20141113.ListClusters\n\ncontent-length;host;x-amz-date;x-amz-security-token;x-amz-target\n";
        let out = clean(text);
        assert!(!out.contains("IQoJb3JpZ2lu"), "{out}");
        assert!(out.contains("x-amz-security-token:[redacted]\n"), "{out}");
        assert!(out.contains("x-amz-target:AmazonEC2ContainerServiceV20141113.ListClusters"));
        assert!(out.contains("host;x-amz-date;x-amz-security-token;x-amz-target"));
    }

    #[test]
    fn debug_printed_header_maps() {
        let text = r#"headers: {"x-amz-date": HeaderValue { _private: H0("20261203T084300Z") }, "authorization": HeaderValue { _private: H0("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261203/us-east-1/ecs/aws4_request, SignedHeaders=content-length;host;x-amz-date;x-amz-security-token, Signature=e8433145dff353562cd898951facfc5107182f8a5d8ada7482bcdadf69318561") }, "x-amz-security-token": HeaderValue { _private: H0("FwoGZXIvYXdzEBYaDH+token/value==") }, "amz-sdk-request": HeaderValue { _private: H0("attempt=1; max=3") }}"#;
        let out = clean(text);
        for secret in ["AKIAIOSFODNN7EXAMPLE", "e8433145dff3", "FwoGZXIvYXdz"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains(r#""x-amz-date": HeaderValue { _private: H0("20261203T084300Z") }"#));
        assert!(out.contains("attempt=1; max=3"), "{out}");
    }

    #[test]
    fn credentials_debug_and_profile_keys() {
        let text = r#"identity=Identity { data: Credentials { provider_name: "EnvironmentVariable", access_key_id: "ASIAXYZXYZXYZXYZXYZ1", secret_access_key: "** redacted **", expires_after: "never" } }"#;
        let out = clean(text);
        assert!(!out.contains("ASIAXYZXYZXYZXYZXYZ1"), "{out}");
        assert!(
            out.contains(r#"secret_access_key: "** redacted **""#),
            "{out}"
        );
        assert!(
            out.contains(r#"provider_name: "EnvironmentVariable""#),
            "{out}"
        );
        let ini = "aws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_session_token = tok+en/value=\nregion = us-east-1";
        let out = clean(ini);
        for secret in ["AKIAPROFILEKEY000001", "wJalrXUtnFEMI", "tok+en"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("region = us-east-1"));
    }

    #[test]
    fn json_xml_and_presigned_urls() {
        let json = r#"{"roleCredentials":{"accessKeyId":"ASIAJSONJSONJSON0001","secretAccessKey":"jsonsecret/with+chars","sessionToken":"jsontoken==","expiration":1700000000000}}"#;
        let out = clean(json);
        for secret in ["ASIAJSONJSONJSON0001", "jsonsecret", "jsontoken"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains(r#""expiration":1700000000000"#), "{out}");
        let xml = "<Credentials><AccessKeyId>ASIAXMLXMLXMLXMLXML1</AccessKeyId><SecretAccessKey>xmlsecret</SecretAccessKey><SessionToken>xmltoken</SessionToken><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials>";
        let out = clean(xml);
        for secret in ["ASIAXMLXMLXMLXMLXML1", "xmlsecret", "xmltoken"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("<Expiration>2026-01-01T00:00:00Z</Expiration>"));
        let url = "GET /?Action=GetCallerIdentity&X-Amz-Credential=AKIAURLURLURLURLURL1%2F20261203%2Fus-east-1&X-Amz-Security-Token=urltoken%2Bx&X-Amz-Signature=0123456789abcdef0123456789abcdef&X-Amz-Expires=900";
        let out = clean(url);
        for secret in ["AKIAURLURLURLURLURL1", "urltoken", "0123456789abcdef"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("X-Amz-Expires=900"), "{out}");
    }

    #[test]
    fn bearer_tokens_and_sso_headers() {
        let out = clean("authorization: Bearer eyJhbGciOi.payload.sig\nnext line");
        assert!(!out.contains("eyJhbGciOi"), "{out}");
        assert!(out.contains("\nnext line"), "{out}");
        let out = clean(r#""x-amz-sso_bearer_token": "ssotokenvalue""#);
        assert!(!out.contains("ssotokenvalue"), "{out}");
    }

    #[test]
    fn registered_values_are_redacted_in_any_shape() {
        register_secret("ODD-SHAPED-SECRET-abc123");
        register_secret("short");
        let out = clean("error: the token ODD-SHAPED-SECRET-abc123 was rejected (short)");
        assert_eq!(out, "error: the token [redacted] was rejected (short)");
    }

    #[test]
    fn a_registered_value_under_a_secret_key_is_redacted_once() {
        register_secret("AKIAREGISTEREDKEY001");
        register_secret("REGISTERED-TOKEN-001");
        let once = clean(
            r#"access_key_id: "AKIAREGISTEREDKEY001", x-amz-security-token:abcdefghij, "x-amz-security-token": HeaderValue { _private: H0("REGISTERED-TOKEN-001") }"#,
        );
        assert_eq!(
            once,
            r#"access_key_id: "[redacted]", x-amz-security-token:[redacted], "x-amz-security-token": HeaderValue { _private: H0("[redacted]") }"#
        );
        assert_eq!(clean(&once), once);
    }

    #[test]
    fn ordinary_lines_are_untouched() {
        for text in [
            "ECS.ListClusters{rpc.service=\"ECS\" rpc.method=\"ListClusters\"}: sending request",
            "arn:aws:ecs:us-east-1:123456789012:service/manga-prod/manga-api",
            "authorization failed for ecs:UpdateService",
            "AccessDeniedException: not authorized to perform ecs:DescribeServices",
            "SignedHeaders=content-length;host;x-amz-date",
        ] {
            assert_eq!(clean(text), text);
        }
    }

    #[test]
    fn the_writer_scrubs_whole_events() {
        use tracing_subscriber::fmt::MakeWriter;
        let writer = Redacting::new(Vec::new());
        {
            let mut w = writer.make_writer();
            w.write_all(b"x-amz-security-token:").unwrap();
            w.write_all(b"SPLITTOKENVALUE\n").unwrap();
        }
        let out = String::from_utf8(writer.sink.into_inner().unwrap()).unwrap();
        assert_eq!(out, "x-amz-security-token:[redacted]\n");
    }
}
