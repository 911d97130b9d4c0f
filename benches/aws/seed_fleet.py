#!/usr/bin/env python3
"""Seed a moto server with a fleet of CLUSTERS x SERVICES ECS services, a
scalable target each and one CPU datapoint each: the large account of the
benchmarks (4 x 500 = 2,000) or the small one (3 x 8 = 24).

    python3 seed_fleet.py http://127.0.0.1:5000 --clusters 4 --services 500
"""
import argparse
import datetime

import boto3

p = argparse.ArgumentParser()
p.add_argument("endpoint")
p.add_argument("--clusters", type=int, default=4)
p.add_argument("--services", type=int, default=500)
a = p.parse_args()
kw = dict(endpoint_url=a.endpoint, region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
ecs = boto3.client("ecs", **kw)
aas = boto3.client("application-autoscaling", **kw)
cw = boto3.client("cloudwatch", **kw)
ecs.register_task_definition(
    family="app",
    requiresCompatibilities=["FARGATE"],
    networkMode="awsvpc",
    cpu="512",
    memory="1024",
    containerDefinitions=[{"name": "app", "image": "app:1", "essential": True}],
)
now = datetime.datetime.now(datetime.timezone.utc)
for c in range(a.clusters):
    cluster = f"c{c}"
    ecs.create_cluster(clusterName=cluster)
    data = []
    for s in range(a.services):
        name = f"s{s:04d}"
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition="app", desiredCount=2, launchType="FARGATE")
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{cluster}/{name}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=10,
        )
        data.append({
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": name}],
            "Timestamp": now,
            "Value": 40.0 + s % 50,
        })
        if len(data) == 20:
            cw.put_metric_data(Namespace="AWS/ECS", MetricData=data)
            data = []
    if data:
        cw.put_metric_data(Namespace="AWS/ECS", MetricData=data)
print(f"seeded {a.clusters} x {a.services} services")
