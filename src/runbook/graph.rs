//! Shape checks on a runbook's graph, over plain adjacency lists.

/// Nodes not reachable from `start`, in index order.
pub fn unreachable(adjacency: &[Vec<usize>], start: usize) -> Vec<usize> {
    let mut seen = vec![false; adjacency.len()];
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if i < seen.len() && !std::mem::replace(&mut seen[i], true) {
            stack.extend(adjacency[i].iter().copied());
        }
    }
    (0..adjacency.len()).filter(|&i| !seen[i]).collect()
}

/// Back edges `(from, to)` of cycles that pass through no wait node: a walk
/// could go round them within one event, without data time moving.
pub fn loops_without_wait(adjacency: &[Vec<usize>], is_wait: &[bool]) -> Vec<(usize, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        New,
        OnPath,
        Done,
    }
    let n = adjacency.len();
    let mut colour = vec![Colour::New; n];
    let mut out = Vec::new();
    for root in 0..n {
        if colour[root] != Colour::New || is_wait[root] {
            continue;
        }
        // Iterative depth-first search: (node, index of the next edge to follow).
        let mut stack = vec![(root, 0usize)];
        colour[root] = Colour::OnPath;
        while let Some(top) = stack.last_mut() {
            let (u, next) = *top;
            match adjacency[u].get(next) {
                Some(&v) => {
                    top.1 += 1;
                    if v >= n || is_wait[v] {
                        continue;
                    }
                    match colour[v] {
                        Colour::New => {
                            colour[v] = Colour::OnPath;
                            stack.push((v, 0));
                        }
                        Colour::OnPath => out.push((u, v)),
                        Colour::Done => {}
                    }
                }
                None => {
                    colour[u] = Colour::Done;
                    stack.pop();
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unreachable_nodes() {
        let adj = vec![vec![1], vec![], vec![1], vec![3]];
        assert_eq!(unreachable(&adj, 0), [2, 3]);
        assert_eq!(unreachable(&adj, 2), [0, 3]);
    }

    #[test]
    fn a_wait_on_the_loop_makes_it_fine() {
        // 0 -> 1 -> 2 -> 0
        let adj = vec![vec![1], vec![2], vec![0]];
        assert_eq!(loops_without_wait(&adj, &[false, false, false]), [(2, 0)]);
        assert!(loops_without_wait(&adj, &[false, true, false]).is_empty());
        // Self loop, and a diamond (no cycle).
        assert_eq!(loops_without_wait(&[vec![0]], &[false]), [(0, 0)]);
        let diamond = vec![vec![1, 2], vec![3], vec![3], vec![]];
        assert!(loops_without_wait(&diamond, &[false; 4]).is_empty());
    }
}
