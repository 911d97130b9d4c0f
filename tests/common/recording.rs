//! moto's request recorder: which AWS operations reached the server.

/// Operations in a downloaded recording, one JSON line per request; a line
/// garbled by concurrent requests is skipped.
pub fn recorded_operations(recording: &str) -> Vec<String> {
    recording
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| operation(&v))
        .collect()
}

/// The operation of one recorded request: `X-Amz-Target` (JSON protocols) or `Action=` (query).
fn operation(line: &serde_json::Value) -> Option<String> {
    let target = line["headers"].as_object().and_then(|h| {
        h.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
            .and_then(|(_, v)| v.as_str())
    });
    if let Some(target) = target {
        return target.rsplit('.').next().map(str::to_string);
    }
    let raw = line["body"].as_str().unwrap_or_default();
    let body = if line["body_encoded"] == serde_json::Value::Bool(true) {
        base64(raw)
    } else {
        raw.to_string()
    };
    body.split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_string)
}

/// Standard base64 (moto stores form bodies encoded).
fn base64(text: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut bits, mut n, mut out) = (0u32, 0, Vec::new());
    for v in text
        .bytes()
        .filter_map(|c| ABC.iter().position(|a| *a == c))
    {
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
