//! Every AWS call goes through `Calls::run`: a bounded number in flight, a
//! timeout, a count per API for the refresh stats, and one error shape.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::Semaphore;

use super::diagnose::{Failure, one_line};
use super::limiter::Limiter;
use crate::model::request::{WriteError, WriteErrorKind};

/// Calls in flight at once, across every part of a refresh.
pub const MAX_IN_FLIGHT: usize = 8;

/// A failed AWS call: what kind of failure, and a message that names the API.
/// Messages come from the error chain, which never carries secret keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub kind: WriteErrorKind,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ApiError> for WriteError {
    fn from(e: ApiError) -> Self {
        WriteError::new(e.kind, e.message)
    }
}

#[derive(Clone)]
pub struct Calls {
    inner: Arc<Inner>,
    /// The process's buckets, shared by every fork.
    limiter: Arc<Limiter>,
    /// Writes take their token without waiting behind reads.
    priority: bool,
    /// The session's profile, named in the login advice of failures.
    profile: Option<Arc<str>>,
}

struct Inner {
    timeout: Duration,
    permits: Semaphore,
    counts: Mutex<BTreeMap<String, u32>>,
}

impl Calls {
    pub fn new(timeout: Duration) -> Self {
        Self::limited(timeout, Arc::new(Limiter::new(1.0)))
    }

    /// Calls paced by `limiter`.
    pub fn limited(timeout: Duration, limiter: Arc<Limiter>) -> Self {
        Self {
            inner: Arc::new(Inner {
                timeout,
                permits: Semaphore::new(MAX_IN_FLIGHT),
                counts: Mutex::new(BTreeMap::new()),
            }),
            profile: None,
            limiter,
            priority: false,
        }
    }

    /// The same calls, their failures advising a login to `profile`.
    pub fn for_profile(mut self, profile: Option<&str>) -> Self {
        self.profile = profile.map(Arc::from);
        self
    }

    /// Same timeout, separate counters and permits (the writer's calls are not a refresh's).
    /// The writer's: ahead of reads in the buckets they share.
    pub fn fork(&self) -> Self {
        Self {
            priority: true,
            ..Self::limited(self.inner.timeout, self.limiter.clone())
                .for_profile(self.profile.as_deref())
        }
    }

    /// Run one API call. `api` is `service:Operation`, e.g. `ecs:DescribeServices`.
    pub async fn run<T, E>(
        &self,
        api: &'static str,
        call: impl Future<Output = Result<T, aws_sdk_ecs::error::SdkError<E>>>,
    ) -> Result<T, ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.limiter.take(api, self.priority).await;
        let _permit = self.inner.permits.acquire().await.map_err(|_| ApiError {
            kind: WriteErrorKind::Other,
            message: format!("{api}: reader shut down"),
        })?;
        *self
            .inner
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(api.to_string())
            .or_default() += 1;
        match tokio::time::timeout(self.inner.timeout, call).await {
            Ok(Ok(out)) => {
                self.limiter.answered(api);
                Ok(out)
            }
            Ok(Err(err)) => {
                let err = classify(api, &err, self.profile.as_deref());
                if err.kind == WriteErrorKind::Throttled {
                    self.limiter.throttled(api);
                }
                Err(err)
            }
            Err(_) => Err(ApiError {
                kind: WriteErrorKind::Timeout,
                message: one_line(
                    api,
                    WriteErrorKind::Timeout,
                    &Failure::Timeout {
                        seconds: self.inner.timeout.as_secs(),
                    },
                    self.profile.as_deref(),
                ),
            }),
        }
    }

    /// Calls per API since the last `take`.
    pub fn take(&self) -> BTreeMap<String, u32> {
        std::mem::take(&mut *self.inner.counts.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Run independent calls concurrently (the permits bound what is in flight);
/// the first error wins. Results come back in completion order.
pub async fn concurrently<T, F>(calls: impl IntoIterator<Item = F>) -> Result<Vec<T>, ApiError>
where
    F: Future<Output = Result<T, ApiError>>,
{
    use futures_util::{StreamExt, TryStreamExt};
    futures_util::stream::iter(calls)
        .buffer_unordered(MAX_IN_FLIGHT)
        .try_collect()
        .await
}

/// Retries of a throttled call within one refresh, and the first wait (doubled
/// each time, with jitter): a burst over the quota clears in a second or two.
const THROTTLE_RETRIES: u32 = 3;
const THROTTLE_BACKOFF: Duration = Duration::from_millis(200);

/// `call` again while AWS answers Throttling, backing off; any other answer
/// (or the last throttle) is returned as it is.
pub async fn retry_throttled<T, F, Fut>(mut call: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut wait = THROTTLE_BACKOFF;
    for _ in 0..THROTTLE_RETRIES {
        match call().await {
            Err(e) if e.kind == WriteErrorKind::Throttled => {
                let jitter = Duration::from_millis(u64::from(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_millis())
                        % 100,
                ));
                tokio::time::sleep(wait + jitter).await;
                wait *= 2;
            }
            other => return other,
        }
    }
    call().await
}

/// Every item of `api`'s listing that pages with a token: `page` is called
/// with the token from the last page (`None` first) and answers that page's
/// items and its next token. An empty token ends the listing as well as a
/// missing one. A token answered twice would page forever (some endpoints
/// that mimic AWS do): the listing ends there with an error.
pub async fn all_pages<T, F, Fut>(api: &str, mut page: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ApiError>>,
{
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    let mut token = None;
    loop {
        let (items, next) = page(token.take()).await?;
        all.extend(items);
        token = next_page(next.as_deref());
        match &token {
            None => return Ok(all),
            Some(t) if !seen.insert(t.clone()) => {
                return Err(ApiError {
                    kind: WriteErrorKind::Other,
                    message: format!(
                        "{api}: the endpoint answered the page token {t:?} twice; \
                         listing stopped after {} items",
                        all.len()
                    ),
                });
            }
            Some(_) => {}
        }
    }
}

/// The token to ask for the next page with, if there is one: an empty token
/// ends a listing as well as a missing one.
pub fn next_page(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_string)
}

fn classify<E>(api: &str, err: &aws_sdk_ecs::error::SdkError<E>, profile: Option<&str>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_ecs::error::SdkError;
    let full = chain(err);
    // The whole chain for whoever reads the log; one line for the screen.
    tracing::warn!(api, error = %full, "AWS call failed");
    let (kind, message) = match err {
        SdkError::ServiceError(service) => match service.err().code() {
            Some(code) => {
                let text = service.err().message().unwrap_or("");
                let kind = kind_of_code(code, text);
                let failure = Failure::Service {
                    code,
                    message: text,
                };
                (kind, one_line(api, kind, &failure, profile))
            }
            // No error code: an unparsable or unimplemented answer (HTTP status in the chain).
            None => (
                WriteErrorKind::Other,
                format!(
                    "{api}: HTTP {}: {}",
                    service.raw().status().as_u16(),
                    chain(service.err())
                ),
            ),
        },
        SdkError::TimeoutError(_) => (WriteErrorKind::Timeout, format!("{api}: timed out")),
        _ => {
            let kind =
                if full.contains("credential") || full.contains("identity") || full.contains("SSO")
                {
                    WriteErrorKind::Denied
                } else if full.contains("timeout") || full.contains("timed out") {
                    WriteErrorKind::Timeout
                } else {
                    WriteErrorKind::Other
                };
            let failure = Failure::Transport { chain: &full };
            (kind, one_line(api, kind, &failure, profile))
        }
    };
    ApiError {
        kind,
        message: message.trim_end_matches(": ").to_string(),
    }
}

/// An error and its sources, one line, without the raw response dumps of `Debug`.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// Error codes across ECS, Application Auto Scaling, CloudWatch and ElastiCache.
pub fn kind_of_code(code: &str, message: &str) -> WriteErrorKind {
    const THROTTLED: [&str; 5] = [
        "Throttling",
        "TooManyRequests",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestThrottled",
    ];
    const DENIED: [&str; 7] = [
        "AccessDenied",
        "UnrecognizedClient",
        "ExpiredToken",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "MissingAuthenticationToken",
        "UnauthorizedOperation",
    ];
    if THROTTLED.iter().any(|c| code.contains(c)) || message.contains("Rate exceeded") {
        WriteErrorKind::Throttled
    } else if DENIED.iter().any(|c| code.contains(c)) {
        WriteErrorKind::Denied
    } else if code.contains("NotFound") || code == "ServiceNotActiveException" {
        WriteErrorKind::NotFound
    } else if code.contains("InvalidParameter")
        || code.contains("Validation")
        || code.contains("LimitExceeded")
        || code == "ClientException"
        || code == "InvalidCacheParameterGroupState"
    {
        WriteErrorKind::Rejected
    } else {
        WriteErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_pages_follows_tokens_until_none_or_empty_or_repeated() {
        let mut asked = Vec::new();
        let items = all_pages("ecs:ListTasks", |token: Option<String>| {
            asked.push(token.clone());
            let answer = match token.as_deref() {
                None => (vec![1, 2], Some("a".to_string())),
                Some("a") => (vec![3], Some("b".to_string())),
                _ => (vec![4], Some(String::new())),
            };
            async move { Ok(answer) }
        })
        .await
        .unwrap();
        assert_eq!(items, [1, 2, 3, 4]);
        assert_eq!(asked, [None, Some("a".into()), Some("b".into())]);
        let err = all_pages("ecs:ListTasks", |_| async {
            Err::<(Vec<u8>, _), _>(ApiError {
                kind: WriteErrorKind::Denied,
                message: "ecs:ListTasks: denied".into(),
            })
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind, WriteErrorKind::Denied);
        // An endpoint that answers the same token again would page forever.
        let mut pages = 0;
        let err = all_pages("application-autoscaling:DescribeScalableTargets", |token| {
            pages += 1;
            let next = Some(if token.is_some() { "49" } else { "x" }.to_string());
            async move { Ok((vec![0u8; 50], next)) }
        })
        .await
        .unwrap_err();
        assert_eq!(pages, 3);
        assert_eq!(
            err.message,
            "application-autoscaling:DescribeScalableTargets: the endpoint answered the page \
             token \"49\" twice; listing stopped after 150 items"
        );
        assert_eq!(next_page(Some("t")), Some("t".into()));
        assert_eq!(next_page(Some("")), None);
        assert_eq!(next_page(None), None);
    }

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            kind_of_code("ThrottlingException", ""),
            WriteErrorKind::Throttled
        );
        assert_eq!(
            kind_of_code("ClientException", "Rate exceeded"),
            WriteErrorKind::Throttled
        );
        assert_eq!(
            kind_of_code("AccessDeniedException", ""),
            WriteErrorKind::Denied
        );
        assert_eq!(
            kind_of_code("ExpiredTokenException", ""),
            WriteErrorKind::Denied
        );
        assert_eq!(
            kind_of_code("ServiceNotFoundException", ""),
            WriteErrorKind::NotFound
        );
        assert_eq!(
            kind_of_code("CacheParameterGroupNotFound", ""),
            WriteErrorKind::NotFound
        );
        assert_eq!(
            kind_of_code("ObjectNotFoundException", ""),
            WriteErrorKind::NotFound
        );
        assert_eq!(
            kind_of_code("InvalidParameterException", ""),
            WriteErrorKind::Rejected
        );
        assert_eq!(
            kind_of_code("ValidationException", ""),
            WriteErrorKind::Rejected
        );
        assert_eq!(kind_of_code("ServerException", ""), WriteErrorKind::Other);
    }
}
