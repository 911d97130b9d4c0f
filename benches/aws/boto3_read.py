#!/usr/bin/env python3
"""The reference: what a careful script does to read the same fleet with
boto3, batched, one call after another (the way most runbook scripts are
written): clusters, services (paged, described 10 at a time), scalable
targets (50 at a time, by resource id) and policies, and the CPU of every service (500 queries a call).
Retries throttled calls with boto3's standard mode.

    python3 boto3_read.py http://127.0.0.1:5100
"""
import datetime
import sys

import boto3
from botocore.config import Config

kw = dict(
    endpoint_url=sys.argv[1],
    region_name="ap-northeast-1",
    aws_access_key_id="x",
    aws_secret_access_key="x",
    config=Config(retries={"mode": "standard", "max_attempts": 10}),
)
ecs = boto3.client("ecs", **kw)
aas = boto3.client("application-autoscaling", **kw)
cw = boto3.client("cloudwatch", **kw)

clusters = [arn.rsplit("/", 1)[-1] for page in ecs.get_paginator("list_clusters").paginate() for arn in page["clusterArns"]]
services = []
for cluster in clusters:
    arns = [a for page in ecs.get_paginator("list_services").paginate(cluster=cluster) for a in page["serviceArns"]]
    for i in range(0, len(arns), 10):
        services += [(cluster, s["serviceName"]) for s in ecs.describe_services(cluster=cluster, services=arns[i : i + 10])["services"]]
ids = [f"service/{c}/{s}" for c, s in services]
targets = []
for i in range(0, len(ids), 50):
    targets += aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=ids[i : i + 50])["ScalableTargets"]
policies = [p for page in aas.get_paginator("describe_scaling_policies").paginate(ServiceNamespace="ecs") for p in page["ScalingPolicies"]]
end = datetime.datetime.now(datetime.timezone.utc)
queries = [
    {
        "Id": f"q{i}",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/ECS",
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "ClusterName", "Value": c}, {"Name": "ServiceName", "Value": s}],
            },
            "Period": 60,
            "Stat": "Average",
        },
    }
    for i, (c, s) in enumerate(services)
]
cpu = 0
for i in range(0, len(queries), 500):
    answer = cw.get_metric_data(MetricDataQueries=queries[i : i + 500], StartTime=end - datetime.timedelta(minutes=10), EndTime=end)
    cpu += sum(1 for r in answer["MetricDataResults"] if r["Values"])
print(f"{len(clusters)} clusters, {len(services)} services, {len(targets)} scalable targets, {len(policies)} policies, {cpu} with CPU")
