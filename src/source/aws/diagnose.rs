//! What an SRE meets when AWS fails, said in one line: what happened and what
//! to do. The SDK's error chains ("dispatch failure: other: an error occurred
//! while loading credentials: ...") name the mechanism, not the fix; the full
//! chain goes to the log, the one line to the UI and the command line.

use crate::model::request::WriteErrorKind;

/// How a call failed, as the SDK said it.
pub enum Failure<'a> {
    /// AWS answered with an error code.
    Service { code: &'a str, message: &'a str },
    /// No AWS error code: credentials, DNS, connection, or an unparsable answer.
    Transport { chain: &'a str },
    /// No answer within the call timeout.
    Timeout { seconds: u64 },
}

/// One line for a failed `api` call (`service:Operation`, which is also the IAM
/// action), with `profile` named in the login advice when the session has one.
pub fn one_line(
    api: &str,
    kind: WriteErrorKind,
    failure: &Failure<'_>,
    profile: Option<&str>,
) -> String {
    let login = match profile {
        Some(p) => format!("aws sso login --profile {p}"),
        None => "aws sso login --profile <profile>".to_string(),
    };
    let what = match failure {
        Failure::Timeout { seconds } => {
            format!("no answer within {seconds}s: the network or the endpoint is slow or gone")
        }
        Failure::Transport { chain } => transport(chain, &login),
        Failure::Service { code, message } => service(api, kind, code, message, &login),
    };
    format!("{api}: {what}")
}

fn transport(chain: &str, login: &str) -> String {
    let has = |needle: &str| chain.contains(needle);
    if has("no providers in chain provided credentials") {
        format!(
            "no AWS credentials found (environment, profile files, SSO, container and \
             instance metadata were tried): run `{login}` or `aws configure`, or pass --profile"
        )
    } else if has("SSO token has expired") || has("cached SSO token") {
        format!("the SSO session has expired or was never started: run `{login}`")
    } else if has("loading credentials") || has("credential") {
        format!(
            "the credentials could not be loaded ({}): check the profile, or run `{login}`",
            last_cause(chain)
        )
    } else if has("dns error") || has("failed to lookup address") {
        "the AWS endpoint's host name does not resolve: is the region right \
         (--region, AWS_REGION), is DNS or the VPN up?"
            .to_string()
    } else if has("Connection refused")
        || has("tcp connect error")
        || has("Network is unreachable")
        || has("No route to host")
    {
        format!(
            "the AWS endpoint cannot be reached ({}): check the network, proxy or --endpoint-url",
            last_cause(chain)
        )
    } else if has("connection closed") || has("Connection reset") || has("Broken pipe") {
        format!(
            "the connection to the AWS endpoint dropped ({}): check the network or VPN; \
             the next refresh tries again",
            last_cause(chain)
        )
    } else {
        chain.to_string()
    }
}

fn service(api: &str, kind: WriteErrorKind, code: &str, message: &str, login: &str) -> String {
    if code.contains("ExpiredToken") || message.contains("token included in the request is expired")
    {
        format!("the session credentials have expired: run `{login}` or assume the role again")
    } else if matches!(
        code,
        "UnrecognizedClientException" | "InvalidClientTokenId" | "SignatureDoesNotMatch"
    ) {
        format!("AWS does not accept these credentials ({code}): check the profile's keys")
    } else if kind == WriteErrorKind::Denied {
        format!(
            "access denied: these credentials may not call {api}, so {} stays empty \
             (README: IAM policy)",
            blanks(api)
        )
    } else if kind == WriteErrorKind::Throttled {
        format!(
            "throttled by AWS ({code}): sitrep slows its polling; the console and other \
             tools share this quota"
        )
    } else if message.is_empty() {
        code.to_string()
    } else {
        format!("{code}: {message}")
    }
}

/// What the cockpit cannot show without `api`.
fn blanks(api: &str) -> &'static str {
    match api {
        "ecs:ListClusters"
        | "ecs:DescribeClusters"
        | "ecs:ListServices"
        | "ecs:DescribeServices" => "the fleet table",
        "ecs:ListTasks" | "ecs:DescribeTasks" => "the Spot/on-demand mix and the tasks view",
        "ecs:DescribeTaskDefinition" => "the deployments diff and the logs view",
        "cloudwatch:GetMetricData" => "CPU, P95 and cache memory",
        "cloudwatch:DescribeAlarms" => "the alarms",
        "logs:FilterLogEvents" => "the logs view and log counts",
        a if a.starts_with("application-autoscaling:Describe") => "scaling bounds and activities",
        a if a.starts_with("elasticache:Describe") || a.starts_with("elasticache:List") => {
            "the cache pane"
        }
        _ => "this action",
    }
}

/// The innermost cause of a chain ("Connection refused (os error 111)").
fn last_cause(chain: &str) -> &str {
    chain.rsplit(": ").next().unwrap_or(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use WriteErrorKind::*;

    fn transport_line(chain: &str, profile: Option<&str>) -> String {
        one_line(
            "ecs:ListClusters",
            Other,
            &Failure::Transport { chain },
            profile,
        )
    }

    #[test]
    fn no_credentials_says_what_was_tried_and_how_to_log_in() {
        let line = transport_line(
            "dispatch failure: other: the credential provider was not enabled: \
             no providers in chain provided credentials",
            Some("prod"),
        );
        assert_eq!(
            line,
            "ecs:ListClusters: no AWS credentials found (environment, profile files, SSO, \
             container and instance metadata were tried): run `aws sso login --profile prod` \
             or `aws configure`, or pass --profile"
        );
    }

    #[test]
    fn an_expired_or_missing_sso_session_says_to_log_in() {
        for chain in [
            "dispatch failure: other: an error occurred while loading credentials: an error \
             occurred while loading an access token: failed to load the cached SSO token",
            "dispatch failure: other: the SSO token has expired and cannot be refreshed",
        ] {
            let line = transport_line(chain, Some("prod"));
            assert!(
                line.ends_with(
                    "the SSO session has expired or was never started: \
                     run `aws sso login --profile prod`"
                ),
                "{line}"
            );
        }
        let line = one_line(
            "ecs:DescribeServices",
            Denied,
            &Failure::Service {
                code: "ExpiredTokenException",
                message: "The security token included in the request is expired",
            },
            None,
        );
        assert!(line.contains("session credentials have expired"), "{line}");
        assert!(line.contains("aws sso login --profile <profile>"), "{line}");
    }

    #[test]
    fn access_denied_names_the_iam_action_and_what_it_blanks() {
        let line = one_line(
            "cloudwatch:GetMetricData",
            Denied,
            &Failure::Service {
                code: "AccessDenied",
                message: "User: arn:aws:iam::1:user/op is not authorized",
            },
            None,
        );
        assert_eq!(
            line,
            "cloudwatch:GetMetricData: access denied: these credentials may not call \
             cloudwatch:GetMetricData, so CPU, P95 and cache memory stays empty \
             (README: IAM policy)"
        );
        let line = one_line(
            "application-autoscaling:DescribeScalableTargets",
            Denied,
            &Failure::Service {
                code: "AccessDeniedException",
                message: "",
            },
            None,
        );
        assert!(line.contains("scaling bounds and activities"), "{line}");
    }

    #[test]
    fn unknown_region_and_unreachable_endpoint_are_told_apart() {
        let dns = transport_line(
            "dispatch failure: io error: client error (Connect): dns error: failed to lookup \
             address information: Name or service not known",
            None,
        );
        assert!(
            dns.contains("does not resolve: is the region right"),
            "{dns}"
        );
        let refused = transport_line(
            "dispatch failure: io error: client error (Connect): tcp connect error: \
             Connection refused (os error 111)",
            None,
        );
        let dropped = transport_line(
            "dispatch failure: other: client error (SendRequest): connection closed before \
             message completed",
            None,
        );
        assert!(
            dropped.contains("the connection to the AWS endpoint dropped (connection closed"),
            "{dropped}"
        );
        assert_eq!(
            refused,
            "ecs:ListClusters: the AWS endpoint cannot be reached (Connection refused \
             (os error 111)): check the network, proxy or --endpoint-url"
        );
    }

    #[test]
    fn throttling_timeouts_and_the_rest() {
        let throttled = one_line(
            "ecs:DescribeServices",
            Throttled,
            &Failure::Service {
                code: "ThrottlingException",
                message: "Rate exceeded",
            },
            None,
        );
        assert!(throttled.contains("throttled by AWS (ThrottlingException)"));
        assert_eq!(
            one_line(
                "ecs:ListTasks",
                Timeout,
                &Failure::Timeout { seconds: 5 },
                None
            ),
            "ecs:ListTasks: no answer within 5s: the network or the endpoint is slow or gone"
        );
        let other = one_line(
            "ecs:UpdateService",
            Rejected,
            &Failure::Service {
                code: "InvalidParameterException",
                message: "desiredCount must be >= 0",
            },
            None,
        );
        assert_eq!(
            other,
            "ecs:UpdateService: InvalidParameterException: desiredCount must be >= 0"
        );
    }
}
