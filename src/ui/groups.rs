//! The fleet table by cluster: at a few thousand services a flat list hides
//! which cluster is in trouble. Clusters come in the order of their worst
//! service (the rows are sorted by trouble already), each with a header that
//! counts its services and their trouble, and can be collapsed to that line.

use std::collections::HashSet;

use crate::model::FleetSnapshot;
use crate::ui::trouble::{self, Severity};

/// Grouping starts on its own above this many services in more than one cluster.
pub const GROUP_FROM: usize = 100;

#[derive(Clone, Debug, PartialEq)]
pub enum TableRow {
    Cluster(ClusterRow),
    /// An index into `snapshot.services`.
    Service(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterRow {
    pub name: String,
    /// Services of the cluster that pass the filter.
    pub services: usize,
    pub alert: usize,
    pub warn: usize,
    pub collapsed: bool,
}

/// Whether the table groups on its own: many services in several clusters.
pub fn by_default(snap: &FleetSnapshot) -> bool {
    snap.services.len() > GROUP_FROM && snap.clusters.len() > 1
}

/// The table of `rows` (filtered and sorted service indices), flat or grouped.
pub fn table(
    snap: &FleetSnapshot,
    rows: &[usize],
    grouped: bool,
    collapsed: &HashSet<String>,
) -> Vec<TableRow> {
    if !grouped {
        return rows.iter().map(|&i| TableRow::Service(i)).collect();
    }
    // Clusters in order of first appearance: the cluster of the worst service first.
    let mut order: Vec<(&str, Vec<usize>)> = Vec::new();
    for &i in rows {
        let cluster = snap.services[i].key.cluster.as_str();
        match order.iter_mut().find(|(c, _)| *c == cluster) {
            Some((_, members)) => members.push(i),
            None => order.push((cluster, vec![i])),
        }
    }
    let mut table = Vec::with_capacity(rows.len() + order.len());
    let firing = trouble::Firing::of(&snap.alarms);
    for (cluster, members) in order {
        let (mut alert, mut warn) = (0, 0);
        for &i in &members {
            match trouble::assess(&snap.services[i], &firing).severity {
                Severity::Alert => alert += 1,
                Severity::Warn => warn += 1,
                Severity::Ok => {}
            }
        }
        let folded = collapsed.contains(cluster);
        table.push(TableRow::Cluster(ClusterRow {
            name: cluster.to_string(),
            services: members.len(),
            alert,
            warn,
            collapsed: folded,
        }));
        if !folded {
            table.extend(members.into_iter().map(TableRow::Service));
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_come_worst_first_and_fold_to_one_line() {
        let snap = crate::ui::fixtures::large(400, 14.0);
        // Sorted by trouble as the app sorts: the worst first.
        let mut rows: Vec<usize> = (0..snap.services.len()).collect();
        rows.sort_by_key(|&i| {
            std::cmp::Reverse(
                trouble::assess(&snap.services[i], &trouble::Firing::of(&snap.alarms)).score,
            )
        });
        assert!(by_default(&snap));
        let flat = table(&snap, &rows, false, &HashSet::new());
        assert_eq!(flat.len(), 400);
        let grouped = table(&snap, &rows, true, &HashSet::new());
        let headers: Vec<&ClusterRow> = grouped
            .iter()
            .filter_map(|r| match r {
                TableRow::Cluster(c) => Some(c),
                TableRow::Service(_) => None,
            })
            .collect();
        assert_eq!(headers.len(), snap.clusters.len());
        assert_eq!(grouped.len(), 400 + headers.len());
        let worst = &snap.services[rows[0]].key.cluster;
        assert_eq!(&headers[0].name, worst, "the worst service's cluster leads");
        assert_eq!(headers.iter().map(|h| h.services).sum::<usize>(), 400);
        let folded: HashSet<String> = [headers[0].name.clone()].into();
        let collapsed = table(&snap, &rows, true, &folded);
        assert_eq!(collapsed.len(), grouped.len() - headers[0].services);
        assert!(matches!(&collapsed[0], TableRow::Cluster(c) if c.collapsed));
        assert!(matches!(&collapsed[1], TableRow::Cluster(_)));
    }
}
