//! The four service clients, built once from the standard credential chain.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use color_eyre::Result;
use color_eyre::eyre::eyre;
use tokio::sync::Notify;

use super::calls::Calls;
use super::limiter::Limiter;
use crate::config::AwsConfig;
use crate::model::SourceInfo;

/// Cheap to clone: every client shares its connection pool and credentials.
#[derive(Clone)]
pub struct AwsClients {
    pub ecs: aws_sdk_ecs::Client,
    pub scaling: aws_sdk_applicationautoscaling::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    /// CloudWatch Logs, for the logs view only.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub calls: Calls,
    pub source: SourceInfo,
    pub changed: ChangeHint,
}

impl AwsClients {
    /// Clients from aws-config's standard chain, with the profile, region and
    /// endpoint of `cfg`. Fails when the profile does not exist or no region
    /// can be found.
    pub async fn new(cfg: &AwsConfig) -> Result<Self> {
        let retry = match cfg.max_attempts {
            0 | 1 => RetryConfig::disabled(),
            n => RetryConfig::standard()
                .with_max_attempts(n)
                .with_initial_backoff(Duration::from_millis(200)),
        };
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry);
        if let Some(profile) = &cfg.profile {
            super::profiles::ensure_exists(profile).await?;
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &cfg.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(url) = &cfg.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = super::secrets::redact_resolved(loader.load().await);
        let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
            eyre!("no AWS region: pass --region, set AWS_REGION, or set one in the profile")
        })?;
        let account = account_id(&sdk, Duration::from_secs(cfg.call_timeout_s.clamp(1, 3))).await;
        Ok(Self {
            ecs: aws_sdk_ecs::Client::new(&sdk),
            scaling: aws_sdk_applicationautoscaling::Client::new(&sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&sdk),
            elasticache: aws_sdk_elasticache::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            calls: Calls::limited(
                Duration::from_secs(cfg.call_timeout_s.max(1)),
                Arc::new(Limiter::new(cfg.quota_share)),
            )
            .for_profile(cfg.profile.as_deref()),
            source: SourceInfo::Aws {
                account,
                profile: cfg.profile.clone(),
                region,
                endpoint_url: cfg.endpoint_url.clone(),
            },
            changed: ChangeHint::default(),
        })
    }

    /// Clients built elsewhere (tests with mock clients).
    pub fn from_clients(
        ecs: aws_sdk_ecs::Client,
        scaling: aws_sdk_applicationautoscaling::Client,
        cloudwatch: aws_sdk_cloudwatch::Client,
        elasticache: aws_sdk_elasticache::Client,
        call_timeout: Duration,
    ) -> Self {
        // A logs client that reaches nothing until `with_logs` gives a real one.
        let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
                .build(),
        );
        Self {
            ecs,
            scaling,
            cloudwatch,
            elasticache,
            logs,
            calls: Calls::new(call_timeout),
            source: SourceInfo::Aws {
                account: None,
                profile: None,
                region: "us-east-1".into(),
                endpoint_url: None,
            },
            changed: ChangeHint::default(),
        }
    }
}

/// The account the credentials belong to, when they say (SSO and assume-role
/// credentials do; so do `AWS_ACCOUNT_ID` and a profile's `aws_account_id`).
/// Static keys alone do not: then profile, region and endpoint identify the
/// fleet in the ledger. No API call is made; credentials that cannot be
/// resolved within `within` leave it unknown (the poller reports why).
async fn account_id(sdk: &aws_config::SdkConfig, within: Duration) -> Option<String> {
    use aws_sdk_ecs::config::ProvideCredentials;
    let provider = sdk.credentials_provider()?;
    match tokio::time::timeout(within, provider.provide_credentials()).await {
        Ok(Ok(creds)) => creds.account_id().map(|a| a.as_str().to_string()),
        Ok(Err(e)) => {
            tracing::debug!("account id unknown: credentials not resolved: {e}");
            None
        }
        Err(_) => {
            tracing::debug!("account id unknown: credentials not resolved within {within:?}");
            None
        }
    }
}

impl AwsClients {
    /// The same clients with this CloudWatch Logs client (tests with a mock).
    pub fn with_logs(mut self, logs: aws_sdk_cloudwatchlogs::Client) -> Self {
        self.logs = logs;
        self
    }
}

/// Set by the writer after a successful change, so the poller re-reads the
/// slow parts (desired count, bounds, policy) at once instead of a minute later.
#[derive(Clone, Default)]
pub struct ChangeHint {
    inner: Arc<HintInner>,
}

#[derive(Default)]
struct HintInner {
    dirty: AtomicBool,
    wake: Notify,
}

impl ChangeHint {
    pub fn mark(&self) {
        self.inner.dirty.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
    }

    /// True once after each `mark`.
    pub fn take(&self) -> bool {
        self.inner.dirty.swap(false, Ordering::SeqCst)
    }

    /// Resolves at the next `mark` (or at once if one is pending).
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        async move { inner.wake.notified().await }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::config::{Credentials, SharedCredentialsProvider};

    fn sdk(credentials: Credentials) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build()
    }

    #[tokio::test]
    async fn the_account_comes_from_credentials_that_name_it() {
        let named = Credentials::builder()
            .provider_name("test")
            .access_key_id("AKIDEXAMPLE")
            .secret_access_key("secret")
            .account_id("123456789012")
            .build();
        let within = Duration::from_secs(1);
        assert_eq!(
            account_id(&sdk(named), within).await.as_deref(),
            Some("123456789012")
        );
        let unnamed = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        assert_eq!(account_id(&sdk(unnamed), within).await, None);
        let none = aws_config::SdkConfig::builder().build();
        assert_eq!(account_id(&none, within).await, None);
    }
}
