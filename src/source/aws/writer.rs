//! The AWS write path: one real API call per catalogue request. Built only
//! explicitly (`AwsWriter::new`); the reader and the poller never make one.

use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTargetAction, ServiceNamespace, SuspendedState,
};
use aws_sdk_ecs::types::CapacityProviderStrategyItem;
use aws_sdk_elasticache::types::ParameterNameValue;

use super::calls::ApiError;
use super::clients::AwsClients;
use crate::model::ServiceKey;
use crate::model::request::ActionRequest;
use crate::model::request::{WriteError, WriteErrorKind};
use crate::source::{FleetWriter, WriteFuture};

pub struct AwsWriter {
    clients: AwsClients,
}

impl AwsWriter {
    /// Shares the clients (and the change hint, so the poller re-reads at once)
    /// but counts its calls apart from the reader's refreshes.
    pub fn new(clients: &AwsClients) -> Self {
        let mut clients = clients.clone();
        clients.calls = clients.calls.fork();
        Self { clients }
    }

    async fn update_service(
        &self,
        service: &ServiceKey,
        edit: impl FnOnce(
            aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder,
        )
            -> aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder,
    ) -> Result<String, ApiError> {
        let c = &self.clients;
        let request = edit(
            c.ecs
                .update_service()
                .cluster(&service.cluster)
                .service(&service.service),
        );
        let out = c.calls.run("ecs:UpdateService", request.send()).await?;
        let s = out.service();
        Ok(format!(
            "ecs:UpdateService {service}: desired {}, running {}, pending {}",
            s.map_or(0, |s| s.desired_count()),
            s.map_or(0, |s| s.running_count()),
            s.map_or(0, |s| s.pending_count()),
        ))
    }

    async fn register_target(
        &self,
        service: &ServiceKey,
        bounds: Option<(u32, u32)>,
        suspend_scale_in: Option<bool>,
    ) -> Result<String, ApiError> {
        let c = &self.clients;
        let mut request = c
            .scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(service.resource_id())
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount);
        let mut summary = format!(
            "application-autoscaling:RegisterScalableTarget {}:",
            service.resource_id()
        );
        if let Some((min, max)) = bounds {
            request = request
                .min_capacity(capacity(min)?)
                .max_capacity(capacity(max)?);
            summary.push_str(&format!(" min {min}, max {max}"));
        }
        if let Some(suspend) = suspend_scale_in {
            request = request.suspended_state(
                SuspendedState::builder()
                    .dynamic_scaling_in_suspended(suspend)
                    .build(),
            );
            summary.push_str(if suspend {
                " scale-in suspended"
            } else {
                " scale-in resumed"
            });
        }
        c.calls
            .run(
                "application-autoscaling:RegisterScalableTarget",
                request.send(),
            )
            .await?;
        Ok(summary)
    }

    async fn apply_request(&self, request: &ActionRequest) -> Result<String, WriteError> {
        let c = &self.clients;
        let summary = match request {
            ActionRequest::SetDesiredCount { service, desired } => {
                let desired = capacity(*desired)?;
                self.update_service(service, |r| r.desired_count(desired))
                    .await?
            }
            ActionRequest::SetCapacityProviderStrategy { service, strategy } => {
                let items = strategy
                    .iter()
                    .map(|i| {
                        CapacityProviderStrategyItem::builder()
                            .capacity_provider(&i.provider)
                            .weight(capacity(i.weight)?)
                            .base(capacity(i.base)?)
                            .build()
                            .map_err(|e| rejected(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // ECS refuses a strategy change without a new deployment.
                self.update_service(service, |r| {
                    r.set_capacity_provider_strategy(Some(items))
                        .force_new_deployment(true)
                })
                .await?
            }
            ActionRequest::ForceNewDeployment { service } => {
                self.update_service(service, |r| r.force_new_deployment(true))
                    .await?
            }
            ActionRequest::SetTaskDefinition {
                service,
                task_definition,
            } => {
                self.update_service(service, |r| r.task_definition(task_definition))
                    .await?
            }
            ActionRequest::SetBounds { service, min, max } => {
                if min > max {
                    return Err(WriteError::new(
                        WriteErrorKind::Rejected,
                        format!("min {min} is above max {max}"),
                    ));
                }
                self.register_target(service, Some((*min, *max)), None)
                    .await?
            }
            ActionRequest::SuspendScaleIn { service } => {
                self.register_target(service, None, Some(true)).await?
            }
            ActionRequest::ResumeScaleIn { service } => {
                self.register_target(service, None, Some(false)).await?
            }
            ActionRequest::PutScheduledAction {
                service,
                name,
                schedule,
                min,
                max,
            } => {
                let target = ScalableTargetAction::builder()
                    .set_min_capacity(min.map(capacity).transpose()?)
                    .set_max_capacity(max.map(capacity).transpose()?)
                    .build();
                c.calls
                    .run(
                        "application-autoscaling:PutScheduledAction",
                        c.scaling
                            .put_scheduled_action()
                            .service_namespace(ServiceNamespace::Ecs)
                            .scheduled_action_name(name)
                            .resource_id(service.resource_id())
                            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                            .schedule(schedule)
                            .scalable_target_action(target)
                            .send(),
                    )
                    .await?;
                format!(
                    "application-autoscaling:PutScheduledAction {name} on {}: {schedule}",
                    service.resource_id()
                )
            }
            ActionRequest::SetMaxmemoryPolicy {
                parameter_group,
                policy,
                ..
            } => {
                c.calls
                    .run(
                        "elasticache:ModifyCacheParameterGroup",
                        c.elasticache
                            .modify_cache_parameter_group()
                            .cache_parameter_group_name(parameter_group)
                            .parameter_name_values(
                                ParameterNameValue::builder()
                                    .parameter_name("maxmemory-policy")
                                    .parameter_value(policy)
                                    .build(),
                            )
                            .send(),
                    )
                    .await?;
                format!(
                    "elasticache:ModifyCacheParameterGroup {parameter_group}: maxmemory-policy {policy}"
                )
            }
        };
        c.changed.mark();
        Ok(summary)
    }
}

impl FleetWriter for AwsWriter {
    fn apply<'a>(&'a self, request: &'a ActionRequest) -> WriteFuture<'a> {
        Box::pin(self.apply_request(request))
    }
}

/// AWS takes capacities as i32.
fn capacity(n: u32) -> Result<i32, ApiError> {
    i32::try_from(n).map_err(|_| rejected(format!("{n} is too large")))
}

fn rejected(message: String) -> ApiError {
    ApiError {
        kind: WriteErrorKind::Rejected,
        message,
    }
}
