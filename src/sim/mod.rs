//! The embedded simulator: a deterministic ECS Fargate fleet modelled on the seeds.
