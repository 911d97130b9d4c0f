//! ElastiCache: cache clusters, their tags, and each parameter group's
//! `maxmemory-policy`.

use std::collections::BTreeMap;

use super::calls::{ApiError, all_pages, concurrently, next_page};
use super::clients::AwsClients;

#[derive(Clone, Debug, PartialEq)]
pub struct CacheInfo {
    pub id: String,
    pub arn: Option<String>,
    pub engine: String,
    pub node_type: String,
    pub parameter_group: Option<String>,
}

pub async fn clusters(c: &AwsClients) -> Result<Vec<CacheInfo>, ApiError> {
    let mut out = all_pages("elasticache:DescribeCacheClusters", |marker| async move {
        let page = c
            .calls
            .run(
                "elasticache:DescribeCacheClusters",
                c.elasticache
                    .describe_cache_clusters()
                    .show_cache_node_info(true)
                    .max_records(100)
                    .set_marker(marker)
                    .send(),
            )
            .await?;
        let found = page
            .cache_clusters()
            .iter()
            .filter_map(|cc| {
                Some(CacheInfo {
                    id: cc.cache_cluster_id()?.to_string(),
                    arn: cc.arn().map(str::to_string),
                    engine: cc.engine().unwrap_or("").to_string(),
                    node_type: cc.cache_node_type().unwrap_or("").to_string(),
                    parameter_group: cc
                        .cache_parameter_group()
                        .and_then(|g| g.cache_parameter_group_name())
                        .map(str::to_string),
                })
            })
            .collect();
        Ok((found, page.marker().map(str::to_string)))
    })
    .await?;
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Tags of each cache (one call per cache; read with the slow parts only).
pub async fn tags(
    c: &AwsClients,
    caches: &[CacheInfo],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ApiError> {
    let arns: Vec<(String, String)> = caches
        .iter()
        .filter_map(|cache| Some((cache.id.clone(), cache.arn.clone()?)))
        .collect();
    let read = concurrently(arns.into_iter().map(|(id, arn)| async move {
        let out = c
            .calls
            .run(
                "elasticache:ListTagsForResource",
                c.elasticache
                    .list_tags_for_resource()
                    .resource_name(arn)
                    .send(),
            )
            .await?;
        let tags = out
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect();
        Ok((id, tags))
    }))
    .await?;
    Ok(read.into_iter().collect())
}

/// `maxmemory-policy` of each parameter group (one paginated read per group).
pub async fn policies(
    c: &AwsClients,
    groups: &[String],
) -> Result<BTreeMap<String, String>, ApiError> {
    let read = concurrently(groups.iter().cloned().map(|group| async move {
        let mut marker = None;
        loop {
            let page = c
                .calls
                .run(
                    "elasticache:DescribeCacheParameters",
                    c.elasticache
                        .describe_cache_parameters()
                        .cache_parameter_group_name(&group)
                        .max_records(100)
                        .set_marker(marker.take())
                        .send(),
                )
                .await?;
            if let Some(value) = page
                .parameters()
                .iter()
                .find(|p| p.parameter_name() == Some("maxmemory-policy"))
                .and_then(|p| p.parameter_value())
            {
                return Ok(Some((group, value.to_string())));
            }
            marker = next_page(page.marker());
            if marker.is_none() {
                return Ok(None);
            }
        }
    }))
    .await?;
    Ok(read.into_iter().flatten().collect())
}

/// Memory of a node type in GB, for the common types (`None` when unknown).
pub fn node_memory_gb(node_type: &str) -> Option<f64> {
    const TABLE: [(&str, f64); 16] = [
        ("cache.t3.micro", 0.5),
        ("cache.t3.small", 1.37),
        ("cache.t3.medium", 3.09),
        ("cache.t4g.micro", 0.5),
        ("cache.t4g.small", 1.37),
        ("cache.t4g.medium", 3.09),
        ("cache.m6g.large", 6.38),
        ("cache.m6g.xlarge", 12.93),
        ("cache.m7g.large", 6.38),
        ("cache.m7g.xlarge", 12.93),
        ("cache.r6g.large", 13.07),
        ("cache.r6g.xlarge", 26.32),
        ("cache.r6g.2xlarge", 52.82),
        ("cache.r7g.large", 13.07),
        ("cache.r7g.xlarge", 26.32),
        ("cache.r7g.2xlarge", 52.82),
    ];
    TABLE
        .iter()
        .find(|(t, _)| *t == node_type)
        .map(|(_, gb)| *gb)
}
